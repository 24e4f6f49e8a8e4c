import { mkdirSync, type Stats, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  Assembler,
  attrs,
  type BuildBatch,
  type BuiltPart,
  buildBatch,
  type Filled,
  type Item,
} from './assemble.js';
import { EntrySink } from './entry-sink.js';
import { unchanged } from './file-ops.js';
import { entryLine, NotPatchable } from './incremental.js';
import { under } from './layout.js';
import type { ManifestEntry } from './manifest.js';
import type { ManifestReader } from './manifest-stream.js';
import { type Attrs, applyDirAttrs, makeDirs, makeSymlinks } from './materialize.js';
import { fsPath } from './names.js';
import { joinByPath } from './order.js';
import { checkDir, insideRemoved, openUp, parentOf } from './patch.js';
import { copyThreads, PartStream } from './pool.js';
import { removeTree } from './remove.js';
import { SetDigest } from './set-digest.js';
import { alone, type SourceStream } from './source.js';
import type { WalkEntry } from './walk.js';

/**
 * The data/ tree built file by file, as the walk gives the source a batch at a time: each
 * folder made as it comes (owner-writable), each symlink made, each file linked from the
 * previous backup when unchanged or else copied and hashed, on worker threads; then folder
 * attributes, deepest first. The previous backup's manifest is read beside the walk, in the
 * same order (order.ts), so no table of its files is built: a million files cost the batches
 * in flight and the folders, whose times go on last. A first backup, a single-file system,
 * and an incremental one the link farm (create.ts) does not serve.
 */
export async function fillData(
  data: string,
  src: SourceStream,
  previous: { reader: ManifestReader; data: string } | undefined,
  options: { digest: boolean; farm?: boolean },
  signal: AbortSignal | undefined,
  lap: (stage: string) => void,
): Promise<Filled> {
  const farm = options.farm && previous ? new FarmPatch(data, previous.reader) : undefined;
  if (!farm) mkdirSync(data, 0o700);
  const single = src.sourceType === 'file';
  const dirs: Array<Attrs & { path: string }> = [];
  // Beside data/ in the backup's temporary folder; create.ts moves it into manifest.json.
  const sink = new EntrySink(join(dirname(data), 'entries.part'));
  const assembler = new Assembler(src.source, sink, options.digest ? new SetDigest() : undefined);
  const batch = (items: Item[]): BuildBatch => ({
    source: src.source,
    single,
    data,
    prevData: previous?.data,
    digest: options.digest,
    ...(farm ? { farm: true } : {}),
    items,
  });
  // A farm's unchanged file, a folder, a symlink: only a line to make, made here rather than
  // sent to a thread and back.
  const lineOnly = (i: Item) =>
    i.e.type !== 'file' || (i.inFarm === true && i.e.st !== undefined && unchanged(i.prev, i.e.st));
  const tasks = new PartStream<Item, BuiltPart>(
    copyThreads(),
    (items) => ({
      message: { build: batch(items) },
      here: () => buildBatch(batch(items)),
      local: farm !== undefined && items.every(lineOnly),
    }),
    (part) => {
      if (part.clash) throw new NotPatchable(`the farm is not what its manifest says (${part.clash})`);
      assembler.add(part);
    },
    signal,
  );
  let files = 0;
  let wasHere = true;
  try {
    const pairs = previous ? joinByPath(src.batches, previous.reader.batches()) : alone(src.batches);
    for await (const batch of pairs)
      for (const [e, p] of batch) {
        // Gone since the previous backup, or of another type now: out of the farm.
        if (farm && p && (!e || e.type !== p.type)) await farm.remove(p.path, p.type);
        if (!e) continue;
        if (e.type === 'dir') {
          const a = { path: e.path, ...attrs(e.st!) };
          if (farm && p?.type === 'dir') farm.keep(e.path, p.mtimeMs);
          else {
            makeDirs(data, [a]);
            farm?.made(e.path);
          }
          dirs.push(a);
          await tasks.add({ e }, 1 / 4);
        } else if (e.type === 'symlink') {
          const link = { path: e.path, target: e.target!, ...attrs(e.st!) };
          if (p?.type === 'symlink' && farm) {
            // A link of the earlier backup's symlink shares its inode, times and all: made
            // anew unless it is the same in every attribute.
            if (!farm.sameSymlink(e, p)) {
              await farm.remove(p.path, p.type);
              makeSymlinks(data, [link]);
            }
          } else makeSymlinks(data, [link]);
          await tasks.add({ e }, 1 / 4);
        } else {
          const prev = p?.type === 'file' ? p : undefined;
          files++;
          if (farm) {
            if (prev) farm.inside(e.path);
            const item = { e, prev, ...(prev ? { inFarm: true } : {}) };
            // Batches made here and batches for the threads apart; more lines to a batch.
            const here = lineOnly(item);
            if (here !== wasHere) await tasks.cut();
            wasHere = here;
            await tasks.add(item, here ? 1 / 8 : 1, here ? 0 : e.st?.size);
          } else await tasks.add({ e, prev }, 1, prev?.size ?? 16 * 1024);
        }
      }
    await tasks.finish();
    lap(
      `${files} files linked or copied, ${dirs.length} folders made${farm ? ' (a link farm patched)' : ''}`,
    );
  } catch (err) {
    sink.abandon();
    throw err;
  } finally {
    tasks.close();
  }
  const filled = assembler.finish();
  applyDirAttrs(data, dirs, single ? undefined : attrs(src.root));
  lap('folder attributes');
  return filled;
}

/**
 * A link farm of the previous backup (link-farm.ts) made the source's tree as the walk goes,
 * with the checks of patch.ts: nothing is changed but in a folder checked to be a real folder
 * of the farm whose mtime is still its manifest's (so it holds what the manifest says), or in
 * one made here; what goes is unlinked, a folder removed whole. Anything else is NotPatchable,
 * and the caller builds the tree file by file.
 */
class FarmPatch {
  /** Folders checked, or made here: what is under them may change. */
  private readonly checked = new Set<string>();
  private readonly removed = new Set<string>();

  constructor(
    private readonly data: string,
    reader: ManifestReader,
  ) {
    const root = reader.header.root;
    if (!root) throw new NotPatchable('the previous manifest has no root attributes');
    this.open('', checkDir(data, root.mtimeMs, '.').st);
  }

  /** A folder of the farm that stays: checked, and opened to its owner (its mode is set last). */
  keep(path: string, mtimeMs: number): void {
    this.inside(path);
    this.open(path, checkDir(under(this.data, path), mtimeMs, path).st);
  }

  /** What the farm has at `path` and the source does not (or not of that type): removed. */
  async remove(path: string, type: 'file' | 'dir' | 'symlink'): Promise<void> {
    if (insideRemoved(path, this.removed)) return;
    this.inside(path);
    try {
      if (type === 'dir') {
        await removeTree(under(this.data, path));
        this.removed.add(path);
      } else unlinkSync(fsPath(under(this.data, path)));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EPERM')
        throw new NotPatchable(`the farm is not what its manifest says (${(err as Error).message})`);
      throw err;
    }
  }

  /** A folder made here, in a folder checked or made here. */
  made(path: string): void {
    this.inside(path);
    this.checked.add(path);
  }

  /** Whether a symlink is the one the farm has: the same line in both manifests. */
  sameSymlink(e: WalkEntry, p: ManifestEntry & { type: 'symlink' }): boolean {
    const key = JSON.stringify(e.path);
    return (
      entryLine(key, e) ===
      entryLine(key, { path: p.path, type: 'symlink', st: { ...p } as never, target: p.target })
    );
  }

  /** Throws unless `path`'s folder is one checked or made here. */
  inside(path: string): void {
    const parent = parentOf(path);
    if (!this.checked.has(parent)) throw new NotPatchable(`${path} is not under a folder kept`);
  }

  private open(path: string, st: Stats): void {
    openUp(under(this.data, path), st);
    this.checked.add(path);
  }
}
