import type { BackupInfo, VerifyReport } from '../backup/types.js';
import { formatBytes } from '../core/clock.js';
import { GnrMigrateError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { runThatApplied } from '../ledger/run-state.js';
import type { Run, State } from '../ledger/schema.js';
import type { Phase } from '../plan/types.js';
import type { GateItem } from './types.js';

/**
 * The backups an applied phase would roll back to: those recorded by its last succeeded run in
 * the ledger. Each must be present under backups/ and verify against its manifest (shallow:
 * manifest, entries and sizes; `--deep`: every file re-hashed), and together they must cover
 * every system the phase's rollback restores.
 */

/**
 * Only the recorded backups are read, one by one, so the gate's cost follows what the rollback
 * needs, not how many backups have piled up under backups/.
 */
export interface BackupAccess {
  /** Throws a GnrMigrateError (InputError) when `id` is not a complete backup. */
  readBackup(ws: Workspace, id: string): Promise<BackupInfo>;
  verifyBackup(ws: Workspace, id: string, options: { deep: boolean }): Promise<VerifyReport>;
}

/** The last succeeded run of the phase, and the backup ids it (or the run it resumed) recorded. */
export function rollbackBackupsOf(state: State, phaseId: number): { run?: Run; ids: string[] } {
  const run = runThatApplied(state, phaseId);
  if (!run) return { ids: [] };
  const ids = [...run.backups];
  // A resumed run continues after the backups the interrupted run already took.
  if (run.resumes) ids.push(...(state.runs.find((r) => r.id === run.resumes)?.backups ?? []));
  return { run, ids: [...new Set(ids)] };
}

export async function backupItems(
  ws: Workspace,
  phase: Phase,
  state: State,
  applied: boolean,
  deep: boolean,
  access: BackupAccess,
): Promise<GateItem[]> {
  const base = {
    id: 'backups',
    group: 'backups' as const,
    title: `phase ${phase.id}'s rollback backups exist and verify`,
    threshold: 'present and verified',
  };
  if (phase.backup.length === 0) {
    return [
      {
        ...base,
        verdict: 'skipped',
        measured: null,
        message: `skipped: phase ${phase.id} backs up no systems`,
      },
    ];
  }
  if (!applied) {
    return [
      {
        ...base,
        verdict: 'skipped',
        measured: null,
        message: `skipped: no backups yet: the phase has not been applied`,
      },
    ];
  }
  const { run, ids } = rollbackBackupsOf(state, phase.id);
  if (!run) {
    return [
      {
        ...base,
        verdict: 'fail',
        measured: 'no run',
        message: `the ledger has no succeeded run of phase ${phase.id}, so there are no backups to roll back to`,
      },
    ];
  }

  const found = await Promise.all(ids.map((id) => find(ws, id, access)));
  const mode = deep ? 'deep: every file re-hashed' : 'shallow: manifest and sizes';
  const items = await Promise.all(found.map((f) => verifyItem(ws, f, deep, mode, access)));

  // Every system the rollback restores needs one of these backups.
  const covered = new Set(found.map((f) => f.info?.system ?? systemOfId(f.id)));
  for (const system of phase.rollback.restore) {
    if (covered.has(system)) continue;
    items.push({
      ...base,
      id: `backups: ${system}`,
      title: `a backup of ${system} for the rollback`,
      verdict: 'fail',
      measured: 'none',
      message: `run ${run.id} recorded no backup of "${system}", which phase ${phase.id}'s rollback restores`,
    });
  }
  return items;
}

interface Found {
  id: string;
  info?: BackupInfo;
  /** Why it is not there. */
  missing?: string;
}

async function find(ws: Workspace, id: string, access: BackupAccess): Promise<Found> {
  try {
    return { id, info: await access.readBackup(ws, id) };
  } catch (err) {
    if (!(err instanceof GnrMigrateError)) throw err;
    return { id, missing: err.message };
  }
}

async function verifyItem(
  ws: Workspace,
  { id, info, missing }: Found,
  deep: boolean,
  mode: string,
  access: BackupAccess,
): Promise<GateItem> {
  const base = {
    id: `backup: ${id}`,
    group: 'backups' as const,
    title: `backup ${id} is present and verifies (${deep ? 'deep' : 'shallow'})`,
    threshold: deep ? 'sha256 of every file matches' : 'manifest and sizes match',
  };
  if (!info) {
    return {
      ...base,
      verdict: 'fail',
      measured: 'missing',
      message: `backup ${id} is missing: the rollback could not restore ${systemOfId(id)} (${missing ?? `not in ${ws.backupsDir}`})`,
    };
  }
  if (info.damaged) {
    return {
      ...base,
      verdict: 'fail',
      measured: 'damaged',
      message: `backup ${id} cannot be restored: ${info.damaged}`,
    };
  }
  const started = performance.now();
  let report: VerifyReport;
  try {
    report = await access.verifyBackup(ws, id, { deep });
  } catch (err) {
    return {
      ...base,
      verdict: 'fail',
      measured: 'unreadable',
      message: `backup ${id} cannot be verified: ${(err as Error).message}`,
      durationMs: performance.now() - started,
    };
  }
  const durationMs = performance.now() - started;
  const size = `${report.files} file${report.files === 1 ? '' : 's'}, ${formatBytes(report.bytes)}`;
  if (report.ok) {
    return {
      ...base,
      verdict: 'pass',
      measured: size,
      message: `${info.system}: verified (${size}; ${mode})`,
      durationMs,
    };
  }
  const [first] = report.problems;
  const more = report.problems.length > 1 ? ` (and ${report.problems.length - 1} more)` : '';
  return {
    ...base,
    verdict: 'fail',
    measured: `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`,
    message: first
      ? `backup ${id} does not verify: ${first.path}: ${first.kind} (${first.detail})${more}`
      : `backup ${id} does not verify`,
    details: report.problems.map((p) => `${p.path}: ${p.kind}: ${p.detail}`).join('\n'),
    durationMs,
  };
}

/** `gnrcfg_20261122-101500` → `gnrcfg` (for a backup whose folder is gone). */
export function systemOfId(id: string): string {
  return id.replace(/_\d{8}-\d{6}(-\d+)?$/, '');
}
