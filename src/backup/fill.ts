import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Assembler, attrs, type Filled } from './assemble.js';
import { EntrySink } from './entry-sink.js';
import type { FileStat, FileTask } from './file-ops.js';
import { under } from './layout.js';
import { applyDirAttrs, makeDirs, makeSymlinks } from './materialize.js';
import { copyThreads, defaultThreads, runFileTasks } from './pool.js';
import { type Previous, previousData } from './previous.js';
import type { SourceScan } from './source.js';
import type { WalkEntry } from './walk.js';

/**
 * The data/ tree built file by file: folders (owner-writable), then every file linked from the
 * previous backup when unchanged or copied and hashed, then symlinks, then folder attributes.
 * A first backup, a single-file system, and the fallback of an incremental one (create.ts).
 */
export async function fillData(
  data: string,
  scan: SourceScan,
  previous: Previous | undefined,
  signal: AbortSignal | undefined,
  lap: (stage: string) => void,
): Promise<Filled> {
  mkdirSync(data, 0o700);
  const dirs = scan.entries
    .filter((e): e is WalkEntry & { st: FileStat } => e.type === 'dir')
    .map((d) => ({ path: d.path, ...attrs(d.st) }));
  makeDirs(data, dirs);
  lap(`${dirs.length} folders made`);

  const files = scan.entries.filter((e) => e.type === 'file');
  const single = scan.sourceType === 'file';
  const prevData = previous ? previousData(previous) : '';
  const tasks: FileTask[] = files.map((e) => {
    const prev = previous?.files.get(e.path);
    return {
      op: 'backup',
      src: single ? scan.source : under(scan.source, e.path),
      dst: under(data, e.path),
      ...(single ? { follow: true } : {}),
      ...(prev ? { prev: { ...prev, from: under(prevData, e.path) } } : {}),
    };
  });
  // Mostly copies: on worker threads (pool.ts); mostly links: on this one.
  const linkable = tasks.filter((t) => t.op === 'backup' && t.prev).length;
  // Beside data/ in the backup's temporary folder; create.ts moves it into manifest.json.
  const sink = new EntrySink(join(dirname(data), 'entries.part'));
  const assembler = new Assembler(scan, files, previous, sink);
  let filled: Filled;
  try {
    await runFileTasks(tasks, {
      ...(signal ? { signal } : {}),
      onBatch: (from, results) => assembler.add(from, results),
      threads: linkable * 2 < tasks.length ? copyThreads() : defaultThreads(),
      sizes: files.map((f) => previous?.files.get(f.path)?.size ?? 16 * 1024),
    });
    lap(`${files.length} files linked or copied`);
    filled = assembler.finish();
  } catch (err) {
    sink.abandon();
    throw err;
  }

  const links = scan.entries.filter(
    (e): e is WalkEntry & { st: FileStat; target: string } => e.type === 'symlink',
  );
  makeSymlinks(
    data,
    links.map((l) => ({ path: l.path, target: l.target, ...attrs(l.st) })),
  );
  applyDirAttrs(data, dirs, single ? undefined : attrs(scan.root));
  lap('symlinks and folder attributes');
  return filled;
}
