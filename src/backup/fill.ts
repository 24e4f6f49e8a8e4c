import { mkdirSync } from 'node:fs';
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
import type { ManifestReader } from './manifest-stream.js';
import { type Attrs, applyDirAttrs, makeDirs, makeSymlinks } from './materialize.js';
import { joinByPath } from './order.js';
import { copyThreads, PartStream } from './pool.js';
import { SetDigest } from './set-digest.js';
import { alone, type SourceStream } from './source.js';

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
  options: { digest: boolean },
  signal: AbortSignal | undefined,
  lap: (stage: string) => void,
): Promise<Filled> {
  mkdirSync(data, 0o700);
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
    items,
  });
  const tasks = new PartStream<Item, BuiltPart>(
    copyThreads(),
    (items) => ({ message: { build: batch(items) }, here: () => buildBatch(batch(items)) }),
    (part) => assembler.add(part),
    signal,
  );
  let files = 0;
  try {
    const pairs = previous ? joinByPath(src.batches, previous.reader.batches()) : alone(src.batches);
    for await (const batch of pairs)
      for (const [e, p] of batch) {
        if (!e) continue; // gone since the previous backup
        if (e.type === 'dir') {
          const a = { path: e.path, ...attrs(e.st!) };
          makeDirs(data, [a]);
          dirs.push(a);
          await tasks.add({ e }, 1 / 4);
        } else if (e.type === 'symlink') {
          makeSymlinks(data, [{ path: e.path, target: e.target!, ...attrs(e.st!) }]);
          await tasks.add({ e }, 1 / 4);
        } else {
          const prev = p?.type === 'file' ? p : undefined;
          files++;
          await tasks.add({ e, prev }, 1, prev?.size ?? 16 * 1024);
        }
      }
    await tasks.finish();
    lap(`${files} files linked or copied, ${dirs.length} folders made`);
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
