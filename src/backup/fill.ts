import { mkdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  Assembler,
  attrs,
  type BuildBatch,
  type BuiltPart,
  buildBatch,
  type Filled,
  type Item,
  mergeParts,
} from './assemble.js';
import { EntrySink } from './entry-sink.js';
import { entryLine, keeps, NotPatchable } from './incremental.js';
import { under } from './layout.js';
import type { LinkFarm } from './link-farm.js';
import type { ManifestReader } from './manifest-stream.js';
import { type Attrs, applyDirAttrs, makeDirs, makeSymlinks } from './materialize.js';
import { fsPath } from './names.js';
import { joinByPath } from './order.js';
import { checkDir, insideRemoved, openUp, parentOf, parseLine, unexpected } from './patch.js';
import { copyThreads, type Job, PartStream } from './pool.js';
import type { PreviousLineStream, PrevLine } from './previous.js';
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
 *
 * Or, given the previous manifest's lines (`farm`), `data` is a link farm of that backup and
 * is patched to the source as the walk (find's listing) goes: what stays is kept as it is and
 * its line reused (incremental.ts `keeps`), what changed or came is copied, what went is
 * removed (FarmPatch).
 */
export async function fillData(
  data: string,
  src: SourceStream,
  previous: { reader: ManifestReader; data: string } | undefined,
  options: { digest: boolean; farm?: { lines: PreviousLineStream; farm: LinkFarm } },
  signal: AbortSignal | undefined,
  lap: (stage: string) => void,
): Promise<Filled> {
  const farm = options.farm ? new FarmPatch(data, options.farm.lines, options.farm.farm) : undefined;
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
  // A folder, a symlink, a farm's file kept: only a line to make, made here rather than sent
  // to a thread and back. A farm's batch sends only its changed files (1 % of them, say) and
  // takes their lines back into its own.
  const lineOnly = (i: Item) => i.e.type !== 'file' || i.kept !== undefined;
  // A farm's patch copies only what changed: one thread does it, and a second cost ~15 MB of
  // peak memory for ~5 % of the time (a million files).
  const tasks = new PartStream<Item, BuiltPart>(
    farm ? Math.min(1, copyThreads()) : copyThreads(),
    (items): Job<BuiltPart> => {
      const all = batch(items);
      if (!farm) return { message: { build: all }, here: () => buildBatch(all) };
      const local = items.map(lineOnly);
      if (local.every(Boolean)) return { message: { build: all }, here: () => buildBatch(all), local: true };
      // Its own lines made now: what waits for the thread is lines, not the batch's entries.
      const mine = buildBatch({ ...batch(items.filter((_, k) => local[k])), each: true });
      const theirs = { ...batch(items.filter((_, k) => !local[k])), each: true };
      return {
        message: { build: theirs },
        here: () => mergeParts(local, mine, buildBatch(theirs)),
        answer: (raw) => mergeParts(local, mine, raw as BuiltPart),
      };
    },
    (part) => {
      if (part.clash) throw new NotPatchable(`the farm is not what its manifest says (${part.clash})`);
      assembler.add(part);
    },
    signal,
  );
  let files = 0;
  const add = async (item: Item) => {
    const { e } = item;
    if (e.type === 'dir') dirs.push({ path: e.path, ...attrs(e.st!) });
    if (e.type !== 'file') return tasks.add(item, 1 / 4);
    files++;
    if (!farm) return tasks.add(item, 1, item.prev?.size ?? 16 * 1024);
    // More lines to a batch than files to copy.
    return lineOnly(item) ? tasks.add(item, 1 / 8) : tasks.add(item, 1, item.e.st?.size);
  };
  try {
    if (farm) {
      for await (const batch of joinByPath(src.batches, farm.lines))
        for (const [e, p] of batch) {
          const item = await farm.take(e, p);
          if (item) await add(item);
        }
      await farm.finish();
    } else {
      const pairs = previous ? joinByPath(src.batches, previous.reader.batches()) : alone(src.batches);
      for await (const batch of pairs)
        for (const [e, p] of batch) {
          if (!e) continue; // gone since the previous backup
          if (e.type === 'dir') makeDirs(data, [{ path: e.path, ...attrs(e.st!) }]);
          else if (e.type === 'symlink')
            makeSymlinks(data, [{ path: e.path, target: e.target!, ...attrs(e.st!) }]);
          await add({ e, ...(e.type === 'file' && p?.type === 'file' ? { prev: p } : {}) });
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
  applyDirAttrs(data, dirs, single ? undefined : attrs(src.root), farm === undefined);
  lap('folder attributes');
  return filled;
}

/**
 * A link farm of the previous backup (link-farm.ts) made the source's tree as the walk goes,
 * with the checks of patch.ts: nothing is changed but in a folder checked to be a real folder
 * of the farm whose mtime is still its manifest's (so it holds what the manifest says), or in
 * one made here; what goes is unlinked, a folder removed whole, each by its path in the
 * previous manifest once that line is parsed and checked like any entry. Anything else is
 * NotPatchable, and the caller builds the tree file by file.
 *
 * The farm is still being made when the walk starts (link-farm.ts `ready`): a folder kept is
 * checked when something under it changes, once the farm holds its top-level entry, or at the
 * end, when the farm is whole; a file kept needs nothing of the farm but to be there at the end.
 */
class FarmPatch {
  readonly lines: AsyncGenerator<PrevLine[]>;
  /** Folders checked, or made here: what is under them may change. */
  private readonly checked = new Set<string>();
  /** Folders kept and not checked yet: the mtime their manifest gives them. */
  private readonly pending = new Map<string, number>();
  private readonly removed = new Set<string>();

  constructor(
    private readonly data: string,
    previous: PreviousLineStream,
    private readonly farm: LinkFarm,
  ) {
    if (!previous.root) throw new NotPatchable('the previous manifest has no root attributes');
    this.lines = previous.batches;
    this.pending.set('', previous.root.mtimeMs);
  }

  /**
   * One path, as the walk and the previous manifest have it: the farm made what the walk has
   * there but a file to copy; gives the entry to build.
   */
  async take(e: WalkEntry | undefined, p: PrevLine | undefined): Promise<Item | undefined> {
    if (!e) {
      await this.remove(p!);
      return undefined;
    }
    const key = JSON.stringify(e.path);
    const line = entryLine(key, e);
    const stays = p !== undefined && p.type === e.type && keeps(e.type, key, line, p.line);
    if (e.type === 'file') {
      if (stays) return { e, kept: p!.line };
      await this.inside(e.path);
      // Changed: unlinked and copied over on a thread. Else it comes where something else went.
      if (p?.type === 'file') return { e, inFarm: true };
      if (p) await this.remove(p);
      return { e };
    }
    if (e.type === 'dir' && stays) {
      const parent = parentOf(e.path);
      if (!this.checked.has(parent) && !this.pending.has(parent))
        throw new NotPatchable(`${e.path} is not under a folder kept`);
      // Its mtime in the farm is the previous manifest's.
      this.pending.set(e.path, p!.line === line ? e.st!.mtimeMs : parseLine(p!.line).mtimeMs);
      return { e };
    }
    if (stays) return { e };
    if (p) await this.remove(p);
    await this.inside(e.path);
    await unexpected(() => {
      if (e.type === 'dir') makeDirs(this.data, [{ path: e.path, ...attrs(e.st!) }]);
      else makeSymlinks(this.data, [{ path: e.path, target: e.target!, ...attrs(e.st!) }]);
    });
    if (e.type === 'dir') this.checked.add(e.path);
    return { e };
  }

  /** Once the walk is over: the farm whole, and every folder kept checked. */
  async finish(): Promise<void> {
    if (!(await this.farm.done())) throw new NotPatchable(`the link farm failed (${this.farm.error()})`);
    for (const path of [...this.pending.keys()]) await this.check(path);
  }

  /** What the farm has at a path and the source does not (or not as it is): removed. */
  private async remove(p: PrevLine): Promise<void> {
    const was = parseLine(p.line);
    if (was.path !== p.path || was.type !== p.type)
      throw new NotPatchable(`${p.path}: its line says otherwise`);
    if (insideRemoved(was.path, this.removed)) return;
    await this.inside(was.path);
    await unexpected(async () => {
      if (was.type === 'dir') {
        await removeTree(under(this.data, was.path));
        this.removed.add(was.path);
      } else unlinkSync(fsPath(under(this.data, was.path)));
    });
  }

  /**
   * Throws unless `path`'s folder is one checked or made here, or one kept that checks now;
   * then the farm holds `path`'s top-level entry whole, to be changed.
   */
  private async inside(path: string): Promise<void> {
    await this.check(parentOf(path));
    const slash = path.indexOf('/');
    await this.ready(slash < 0 ? path : path.slice(0, slash));
  }

  /** A folder kept, checked (its own folder first) once the farm holds it, and opened to its owner. */
  private async check(path: string): Promise<void> {
    const mtimeMs = this.pending.get(path);
    if (mtimeMs === undefined) {
      if (this.checked.has(path)) return;
      throw new NotPatchable(`${path || '.'} is not a folder kept`);
    }
    if (path !== '') await this.check(parentOf(path));
    const slash = path.indexOf('/');
    await this.ready(slash < 0 ? path : path.slice(0, slash));
    // The root the farm did not make whole is this process's own, there to write in.
    const whole = path !== '' || this.farm.rootFrom === this.data;
    const dir = checkDir(whole ? under(this.data, path) : this.farm.rootFrom, mtimeMs, path || '.');
    if (whole) openUp(under(this.data, path), dir.st);
    this.pending.delete(path);
    this.checked.add(path);
  }

  private async ready(top: string): Promise<void> {
    if (!(await this.farm.ready(top))) throw new NotPatchable(`the link farm failed (${this.farm.error()})`);
  }
}
