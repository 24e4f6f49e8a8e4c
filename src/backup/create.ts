import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../core/atomic.js';
import { systemClock } from '../core/clock.js';
import { FailedError } from '../core/errors.js';
import { toolVersion } from '../core/version.js';
import type { Workspace } from '../core/workspace.js';
import { cleanTemporaries } from './clean.js';
import type { FileStat, FileTask } from './file-ops.js';
import { assertSystemName, backupDir, backupIdFor, tmpName, under } from './layout.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import { serializeManifest } from './manifest-format.js';
import { applyDirAttrs, makeDirs, makeSymlinks } from './materialize.js';
import { runFileTasks } from './pool.js';
import { findPrevious, type Previous, previousData } from './previous.js';
import { removeTree } from './remove.js';
import { type SourceScan, scanSource, sourcePath } from './source.js';
import { infoFromHeader, sha256 } from './store.js';
import { tracer } from './trace.js';
import type { BackupInfo, CreateBackupOptions } from './types.js';
import type { WalkEntry } from './walk.js';

/**
 * One backup of one system: `backups/<system>_<stamp>/` with data/ and manifest.json, built in
 * `backups/.tmp-<pid>-<id>/` and renamed into place, so it exists whole or not at all. Files
 * equal (size, mtime, mode, owner) to the previous backup's are hard-linked from it; the rest
 * are copied and hashed in one read.
 */
export async function createBackup(opts: CreateBackupOptions): Promise<BackupInfo> {
  const { ws, system, signal } = opts;
  const clock = opts.clock ?? systemClock;
  assertSystemName(system.name);
  const lap = tracer(`backup ${system.name}`);
  await mkdir(ws.backupsDir, { recursive: true });
  await cleanTemporaries(ws);
  lap('clean');
  const scan = await scanSource(ws, system, signal ? { signal } : {});
  if (!scan) {
    throw new FailedError(
      `system ${system.name}: ${sourcePath(ws, system)} does not exist, so there is nothing to back up ` +
        '(check the plan path and its vars)',
    );
  }
  lap(`walk (${scan.entries.length} entries)`);
  const createdAt = clock.now();
  const id = freeId(ws, system.name, createdAt);
  const tmp = join(ws.backupsDir, tmpName(id));
  mkdirSync(tmp);
  try {
    const previous = await findPrevious(ws, system.name, scan.source, scan.sourceType);
    lap(`previous manifest (${previous?.id ?? 'none'})`);
    const manifest = await fillData(join(tmp, 'data'), scan, previous, signal, lap);
    const header = {
      version: 1 as const,
      id,
      system: system.name,
      source: scan.source,
      sourceType: scan.sourceType,
      phase: opts.phase,
      runId: opts.runId,
      toolVersion: toolVersion(),
      createdAt: createdAt.toISOString(),
      excludes: [...system.exclude],
      ...(scan.sourceType === 'dir' ? { root: attrs(scan.root) } : {}),
      previous: previous?.id ?? null,
      skipped: [
        ...scan.skipped,
        ...manifest.vanished.map((path) => ({ path, reason: 'vanished during the copy' })),
      ],
      hardLinks: manifest.hardLinks,
      totals: manifest.totals,
    };
    const { finalId, hash } = await publish(ws, tmp, { ...header, entries: manifest.entries });
    lap('manifest written, renamed into place');
    return infoFromHeader(ws, { ...header, id: finalId }, hash);
  } catch (err) {
    await removeTree(tmp).catch(() => {});
    throw err;
  }
}

/** The first `<system>_<stamp>[-N]` not taken. */
export function freeId(ws: Workspace, system: string, at: Date): string {
  for (let seq = 1; ; seq++) {
    const id = backupIdFor(system, at, seq);
    if (!existsSync(backupDir(ws, id)) && !existsSync(join(ws.backupsDir, tmpName(id)))) return id;
  }
}

async function fillData(
  data: string,
  scan: SourceScan,
  previous: Previous | undefined,
  signal: AbortSignal | undefined,
  lap: (stage: string) => void,
): Promise<{ entries: ManifestEntry[]; totals: Manifest['totals']; vanished: string[]; hardLinks: number }> {
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
  const results = await runFileTasks(tasks, {
    ...(signal ? { signal } : {}),
    sizes: files.map((f) => previous?.files.get(f.path)?.size ?? 16 * 1024),
  });

  lap(`${files.length} files linked or copied`);
  const stored = new Map<string, ManifestEntry>();
  const vanished: string[] = [];
  const failed: string[] = [];
  let linkedFiles = 0;
  let linkedBytes = 0;
  let bytes = 0;
  let hardLinks = 0;
  results.forEach((r, i) => {
    const e = files[i]!;
    if (r.error) {
      if (r.error.code === 'ENOENT') vanished.push(e.path);
      else failed.push(`${e.path}: ${r.error.message}`);
      return;
    }
    const st = r.st!;
    const sha256 = r.linked ? previous!.files.get(e.path)!.sha256 : r.sha256!;
    // What was read is what is kept: a file that grew mid-copy is recorded at the size copied.
    const size = r.linked ? st.size : r.size!;
    if (r.linked) {
      linkedFiles++;
      linkedBytes += size;
    }
    if (st.nlink > 1) hardLinks++;
    bytes += size;
    stored.set(e.path, { path: e.path, type: 'file', ...attrs(st), size, sha256 });
  });
  if (failed.length > 0)
    throw new FailedError(
      `cannot back up ${scan.source}: ${failed.length} file(s) could not be copied:\n  ${failed.slice(0, 10).join('\n  ')}` +
        (failed.length > 10 ? `\n  and ${failed.length - 10} more` : ''),
    );

  const links = scan.entries.filter(
    (e): e is WalkEntry & { st: FileStat; target: string } => e.type === 'symlink',
  );
  makeSymlinks(
    data,
    links.map((l) => ({ path: l.path, target: l.target, ...attrs(l.st) })),
  );
  applyDirAttrs(data, dirs, single ? undefined : attrs(scan.root));

  lap('symlinks and folder attributes');
  const entries: ManifestEntry[] = [];
  for (const e of scan.entries) {
    if (e.type === 'file') {
      const f = stored.get(e.path);
      if (f) entries.push(f);
    } else if (e.type === 'dir') entries.push({ path: e.path, type: 'dir', ...attrs(e.st!) });
    else entries.push({ path: e.path, type: 'symlink', ...attrs(e.st!), target: e.target! });
  }
  return {
    entries,
    vanished,
    hardLinks,
    totals: {
      files: stored.size,
      dirs: dirs.length,
      symlinks: links.length,
      bytes,
      linkedFiles,
      linkedBytes,
    },
  };
}

/**
 * Writes the manifest (fsynced) and renames the folder into place. Another process that took
 * the same id meanwhile (none should: the workspace lock) bumps ours to the next `-N`.
 */
async function publish(
  ws: Workspace,
  tmp: string,
  manifest: Manifest,
): Promise<{ finalId: string; hash: string }> {
  for (let attempt = 0; ; attempt++) {
    const text = serializeManifest(manifest);
    const fd = openSync(join(tmp, 'manifest.json'), 'w', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      await rename(tmp, backupDir(ws, manifest.id));
      await fsyncDir(ws.backupsDir);
      return { finalId: manifest.id, hash: sha256(Buffer.from(text)) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt > 20) throw err;
      manifest = { ...manifest, id: freeId(ws, manifest.system, new Date(manifest.createdAt)) };
    }
  }
}

/** The attributes a manifest keeps, from a Stats or a FileStat (mode already masked or not). */
function attrs(st: { mode: number; mtimeMs: number; uid: number; gid: number }) {
  return { mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, uid: st.uid, gid: st.gid };
}
