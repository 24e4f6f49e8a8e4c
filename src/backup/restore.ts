import { lstatSync, mkdirSync, realpathSync, rmSync, utimesSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { InputError, NeedsPersonError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { cleanTemporaries } from './clean.js';
import { createBackup } from './create.js';
import type { RestoreTask } from './file-ops.js';
import { dataDir, manifestFile, under } from './layout.js';
import type { FileEntry, ManifestEntry } from './manifest.js';
import { openManifest } from './manifest-stream.js';
import { applyDirAttrs, makeDirs, makeSymlinks } from './materialize.js';
import { copyThreads, TaskStream } from './pool.js';
import { assertBackupExists } from './store.js';
import { abandonSwap, beginSwap, completeSwap } from './swap.js';
import type { RestoreOptions, RestoreResult, VerifyProblem, VerifyReport } from './types.js';
import { compareStreams, fileProblems, sortByPath } from './verify.js';

/** Exit 3: the backup did not verify, so nothing was restored; `report` says what is wrong. */
export class RestoreRefusedError extends NeedsPersonError {
  readonly report: VerifyReport;
  constructor(report: VerifyReport) {
    const shown = report.problems.slice(0, 10).map((p) => `  ${p.kind} ${p.path}: ${p.detail}`);
    const more = report.problems.length > 10 ? `\n  and ${report.problems.length - 10} more` : '';
    super(
      `backup ${report.id} does not verify, so it was not restored and the target was not touched:\n${shown.join('\n')}${more}\n` +
        `Restore an older backup of the system (\`gnr-migrate backup list\`), or repair this one by hand.`,
    );
    this.report = report;
  }
}

/**
 * Makes a target exactly a backup: checks the backup (structure first, then every file's hash
 * while copying it — each byte read once), builds the tree beside the target, snapshots the
 * target as a backup, then swaps (swap.ts). A backup that fails any check is refused, exit 3,
 * with the target untouched. It copies: backup files are never hard-linked into the live tree,
 * where an in-place edit would change the backup too.
 *
 * The manifest is read twice, a batch at a time (manifest-stream.ts), never whole: once with
 * the walk of data/ for the structure, once to build. Only its folders are kept in between
 * (their times go on last); its bytes must be the same both times.
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const { ws, id, signal } = opts;
  await assertBackupExists(ws, id);
  // A restore killed mid-swap is finished first, so its target is whole before this one runs.
  await cleanTemporaries(ws);
  const refuse = (problems: VerifyProblem[]) =>
    new RestoreRefusedError({ id, ok: false, deep: true, files: 0, bytes: 0, problems });
  const manifestRefused = (problems: string[]) =>
    refuse(problems.map((detail) => ({ path: 'manifest.json', kind: 'manifest', detail })));
  const file = manifestFile(ws, id);
  const opened = await openManifest(file, id);
  if (!opened.ok) throw manifestRefused(opened.problems);
  const m = opened.reader.header;
  const data = dataDir(ws, id);
  const dirs: DirEntry[] = [];
  const structure = await compareStreams(data, opened.reader, {
    statFiles: false,
    ...(signal ? { signal } : {}),
    onEntry: (e) => {
      if (e.type === 'dir') dirs.push(e);
    },
  });
  if (structure.manifest.length > 0) throw manifestRefused(structure.manifest);
  if (structure.problems.length > 0) throw refuse(sortByPath(structure.problems));
  const checked = { hash: opened.reader.hash(), dirs };

  // Where to write comes from the plan (or --to), never from the backup: a manifest whose
  // `source` was edited must not choose what gets replaced. `source` is only compared.
  if (opts.to === undefined)
    throw new InputError(
      `backup ${id} is of system ${m.system}, which the plan no longer has: say where to restore it with --to PATH`,
    );
  const target = resolveTarget(ws, opts.to);
  const sourceMismatch = sameTarget(ws, m.source, target) ? undefined : m.source;
  // A refused restore changes nothing: folders made above the target are removed again, and the
  // parent's times (changed by building beside the target) are put back.
  const parent = dirname(target);
  let existing = parent;
  while (!lstatSync(existing, { throwIfNoEntry: false }) && dirname(existing) !== existing)
    existing = dirname(existing);
  const existingSt = lstatSync(existing);
  const madeAbove = mkdirSync(parent, { recursive: true });
  const undoParent = () => {
    if (madeAbove) rmSync(madeAbove, { recursive: true, force: true });
    utimesSync(existing, existingSt.atime, existingSt.mtime);
  };
  const current = lstatSync(target, { throwIfNoEntry: false });
  const handle = await beginSwap(ws, {
    backupId: id,
    target,
    // A file replaced by a file needs no aside: rename() swaps it atomically.
    hadTarget: current !== undefined && !(m.sourceType === 'file' && current.isFile()),
    excludes: m.sourceType === 'dir' ? m.excludes : [],
    dirTimes: dirs.map((d) => [d.path, d.mtimeMs]),
    ...(m.root ? { rootMtimeMs: m.root.mtimeMs } : {}),
  });
  let snapshotId: string | undefined;
  try {
    const changed = await build(handle.journal.fresh, data, file, id, checked, signal);
    if (changed.length > 0) throw refuse(changed);
    signal?.throwIfAborted();
    if (current && opts.snapshot !== false) {
      const snap = await createBackup({
        ws,
        system: { name: m.system, path: target, exclude: m.excludes },
        phase: opts.phase ?? null,
        runId: opts.runId ?? null,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(signal ? { signal } : {}),
      });
      snapshotId = snap.id;
    }
    signal?.throwIfAborted();
  } catch (err) {
    await abandonSwap(handle);
    if (err instanceof RestoreRefusedError) undoParent();
    throw err;
  }
  // Past this point a signal waits: the swap is a few renames, and stopping halfway is worse.
  const leftOut = await completeSwap(handle);
  return {
    id,
    target,
    ...(snapshotId ? { snapshotId } : {}),
    ...(sourceMismatch !== undefined ? { sourceMismatch } : {}),
    ...(leftOut.length > 0 ? { leftOut } : {}),
    files: m.totals.files,
    bytes: m.totals.bytes,
  };
}

type DirEntry = Extract<ManifestEntry, { type: 'dir' }>;

/**
 * The restored tree at `fresh`, from a second read of the manifest. Each backup file is
 * checked on the open descriptor (mode, size) and hashed as it is copied; returns what does
 * not match the manifest, or that the manifest is not the one checked.
 */
async function build(
  fresh: string,
  data: string,
  file: string,
  id: string,
  checked: { hash: string; dirs: DirEntry[] },
  signal: AbortSignal | undefined,
): Promise<VerifyProblem[]> {
  const opened = await openManifest(file, id);
  const changed = (detail: string): VerifyProblem[] => [{ path: 'manifest.json', kind: 'manifest', detail }];
  if (!opened.ok) return changed(opened.problems.join('; '));
  const { reader } = opened;
  const m = reader.header;
  const single = m.sourceType === 'file';
  const task = (e: FileEntry, dst: string): RestoreTask => ({
    op: 'restore',
    src: under(data, e.path),
    dst,
    mode: e.mode,
    mtimeMs: e.mtimeMs,
    size: e.size,
    ...(e.uid !== undefined ? { uid: e.uid } : {}),
    ...(e.gid !== undefined ? { gid: e.gid } : {}),
  });
  const problems: VerifyProblem[] = [];
  const copies = new TaskStream<FileEntry>(
    copyThreads(),
    (items) => {
      for (const { tag, result } of items) problems.push(...fileProblems(tag, result!));
    },
    signal,
  );
  try {
    if (!single) mkdirSync(fresh, 0o700);
    for await (const batch of reader.batches())
      for (const e of batch) {
        if (e.type === 'file') await copies.add(task(e, single ? fresh : under(fresh, e.path)), e, e.size);
        else if (single) continue;
        else if (e.type === 'dir') makeDirs(fresh, [e]);
        else makeSymlinks(fresh, [e]);
      }
    await copies.finish();
  } finally {
    copies.close();
  }
  if (reader.hash() !== checked.hash) return changed('manifest.json changed while it was restored');
  if (problems.length > 0 || single) return sortByPath(problems);
  applyDirAttrs(fresh, checked.dirs, m.root);
  return problems;
}

/** Whether the manifest's `source` names the target (both resolved as far as they exist). */
function sameTarget(ws: Workspace, source: string, target: string): boolean {
  try {
    return resolveTarget(ws, source) === target;
  } catch {
    return false;
  }
}

/**
 * The default target of a restore of `system`: the plan's path of it (`--to` overrides),
 * never the manifest's `source`, which only says where the backup was taken. Asked by
 * `backup restore`, the rollback executor and the runbook's manual restore lines alike.
 */
export function planRestoreTarget(
  systems: Record<string, { path: string } | undefined>,
  system: string,
): string | undefined {
  return systems[system]?.path;
}

/**
 * Where a restore writes. A target that is a symlink (a system path such as
 * `sites-enabled/x.conf`) is followed, so the link stays and the file it names is restored.
 * Refused: the root folder, and anything holding or inside the workspace's backups or
 * migration folders (the swap would move the very backup being read).
 */
export function resolveTarget(ws: Workspace, to: string): string {
  let target = resolve(ws.root, to);
  try {
    target = realpathSync(target);
  } catch {
    try {
      target = join(realpathSync(dirname(target)), basename(target));
    } catch {
      // the parent does not exist yet either: it will be created as given
    }
  }
  const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
  const guarded = [ws.backupsDir, ws.migrationDir].map((p) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  });
  if (target === sep || guarded.some((g) => inside(g, target) || inside(target, g)))
    throw new InputError(
      `refusing to restore into ${target}: it is, holds or is inside the workspace's backups/ or migration/ folder`,
    );
  return target;
}
