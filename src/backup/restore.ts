import { lstatSync, mkdirSync, realpathSync, rmSync, utimesSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { InputError, NeedsPersonError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { cleanTemporaries } from './clean.js';
import { createBackup } from './create.js';
import type { RestoreTask } from './file-ops.js';
import { dataDir, under } from './layout.js';
import type { FileEntry, Manifest } from './manifest.js';
import { applyDirAttrs, makeDirs, makeSymlinks } from './materialize.js';
import { copyThreads, runFileTasks } from './pool.js';
import { assertBackupExists, readManifest } from './store.js';
import { abandonSwap, beginSwap, completeSwap } from './swap.js';
import type { RestoreOptions, RestoreResult, VerifyProblem, VerifyReport } from './types.js';
import { checkStructure, fileProblems, sortByPath } from './verify.js';

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
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const { ws, id, signal } = opts;
  await assertBackupExists(ws, id);
  // A restore killed mid-swap is finished first, so its target is whole before this one runs.
  await cleanTemporaries(ws);
  const read = await readManifest(ws, id);
  const refuse = (problems: VerifyProblem[]) =>
    new RestoreRefusedError({ id, ok: false, deep: true, files: 0, bytes: 0, problems });
  if (!read.ok)
    throw refuse(read.problems.map((detail) => ({ path: 'manifest.json', kind: 'manifest', detail })));
  const m = read.manifest;
  const data = dataDir(ws, id);
  const structure = await checkStructure(data, m, { statFiles: false, ...(signal ? { signal } : {}) });
  if (structure.problems.length > 0) throw refuse(sortByPath(structure.problems));

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
    entries: m.entries,
    ...(m.root ? { rootMtimeMs: m.root.mtimeMs } : {}),
  });
  let snapshotId: string | undefined;
  try {
    const changed = await build(handle.journal.fresh, data, m, signal);
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

/**
 * The restored tree at `fresh`. Each backup file is checked on the open descriptor (mode,
 * size) and hashed as it is copied; returns what does not match the manifest.
 */
async function build(
  fresh: string,
  data: string,
  m: Manifest,
  signal: AbortSignal | undefined,
): Promise<VerifyProblem[]> {
  const files = m.entries.filter((e): e is FileEntry => e.type === 'file');
  const dirs = m.entries.filter((e) => e.type === 'dir');
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
  let tasks: RestoreTask[];
  if (m.sourceType === 'file') {
    tasks = [task(files[0]!, fresh)];
  } else {
    mkdirSync(fresh, 0o700);
    makeDirs(fresh, dirs);
    tasks = files.map((e) => task(e, under(fresh, e.path)));
  }
  const problems: VerifyProblem[] = [];
  await runFileTasks(tasks, {
    ...(signal ? { signal } : {}),
    threads: copyThreads(),
    sizes: files.map((e) => e.size),
    // Checked as each batch comes back, not kept to the end.
    onBatch: (from, results) => {
      for (let k = 0; k < results.length; k++) problems.push(...fileProblems(files[from + k]!, results[k]!));
    },
  });
  if (problems.length > 0 || m.sourceType === 'file') return sortByPath(problems);
  makeSymlinks(
    fresh,
    m.entries.filter((e) => e.type === 'symlink'),
  );
  applyDirAttrs(fresh, dirs, m.root);
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
