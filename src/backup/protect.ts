import type { State } from '../ledger/schema.js';

/**
 * Backups that `prune` must keep, read from the ledger, each with the reason to show:
 * - those of the run that applied the current phase (its rollback restores them);
 * - those and the snapshots of any run not settled (running, interrupted, or left running
 *   by a killed process): a rollback or resume of it may need them;
 * - the snapshots of the last run if it was a rollback (they undo that rollback).
 */
export function protectedBackups(state: State): Map<string, string> {
  const keep = new Map<string, string>();
  const add = (ids: string[], reason: string) => {
    for (const id of ids) if (!keep.has(id)) keep.set(id, reason);
  };
  if (state.current !== null) {
    const applied = [...state.runs]
      .reverse()
      .find((r) => r.kind === 'phase' && r.phase === state.current && r.status === 'succeeded');
    if (applied)
      add(applied.backups, `the rollback of phase ${state.current} restores it (run ${applied.id})`);
  }
  for (const r of state.runs) {
    if (r.settledBy || (r.status !== 'running' && r.status !== 'interrupted')) continue;
    add([...r.backups, ...r.snapshots], `run ${r.id} (${r.kind}) is ${r.status} and not settled`);
  }
  const last = state.runs[state.runs.length - 1];
  if (last?.kind === 'rollback') add(last.snapshots, `it undoes the last rollback (run ${last.id})`);
  return keep;
}
