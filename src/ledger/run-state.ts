import type { Plan } from '../plan/types.js';
import { holderState, type LockInfo } from './lock.js';
import type { Run, State } from './schema.js';

/**
 * The one owner of run state (issue 12 §6): who holds the workspace, which runs are unsettled
 * or dead, which run applied a phase, which phases are applied, where a rollback of a run
 * returns to, and which backups a rollback may still need. Every command asks here; no other
 * module decides these.
 */

/** The process holding the lock, as far as this host can tell that it is alive. */
export type LiveHolder = { pid: number; host: string } | undefined;

/** The lock holder that still counts as running (alive here, or on another host). */
export function liveHolderOf(lock: { info?: LockInfo } | undefined): LiveHolder {
  if (!lock?.info) return undefined;
  const state = holderState(lock.info);
  return state === 'alive' || state === 'other-host' ? lock.info : undefined;
}

function heldBy(run: Run, live: LiveHolder): boolean {
  return Boolean(live && live.pid === run.pid && live.host === run.host);
}

/**
 * Runs that left the systems in a state a person must settle (by `rollback` or `phase --resume`):
 * left `running` by a process that no longer holds the lock (killed), interrupted, or failed
 * without a successful rollback. A run that failed before changing anything is settled at once.
 */
export function unsettledRuns(state: Readonly<State>, live: LiveHolder): Run[] {
  return state.runs.filter((r) => {
    if (r.settledBy || r.kind === 'backup') return false;
    if (r.status === 'interrupted' || r.status === 'failed') return true;
    if (r.status !== 'running') return false;
    return !heldBy(r, live);
  });
}

/** An unsettled run as the JSON of `status` and of a dry-run names it. */
export function unsettledRunView(run: Run): Pick<Run, 'id' | 'kind' | 'phase' | 'startedAt'> {
  return { id: run.id, kind: run.kind, phase: run.phase, startedAt: run.startedAt };
}

/** Runs left `running` by a process that no longer holds the lock: cut off by a kill. */
export function deadRuns(state: Readonly<State>, live: LiveHolder): Run[] {
  return state.runs.filter((r) => r.status === 'running' && !heldBy(r, live));
}

/** The unsettled run of `phaseId` that `phase <id> --resume` continues (the newest). */
export function resumableRun(state: Readonly<State>, phaseId: number, live: LiveHolder): Run | undefined {
  return [...unsettledRuns(state, live)].reverse().find((r) => r.kind === 'phase' && r.phase === phaseId);
}

/** The run that made `phase` current: the last succeeded phase run of it. */
export function runThatApplied(state: Readonly<State>, phase: number): Run | undefined {
  for (let i = state.runs.length - 1; i >= 0; i--) {
    const r = state.runs[i]!;
    if (r.kind === 'phase' && r.phase === phase && r.status === 'succeeded') return r;
  }
  return undefined;
}

/**
 * Whether a phase run skipped the order rules (`--force` from a phase that is not its
 * predecessor on the path). Recorded since the run's inputs are; inferred for older ledgers.
 */
export function wasForced(plan: Plan, run: Run): boolean {
  if (run.inputs?.force !== undefined) return run.inputs.force && run.from !== predecessor(plan, run);
  return run.phase !== null && run.from !== predecessor(plan, run);
}

function predecessor(plan: Plan, run: Run): number | null | undefined {
  if (run.phase === null) return undefined;
  const i = plan.path.indexOf(run.phase);
  if (i === -1) return undefined;
  return i === 0 ? null : (plan.path[i - 1] ?? null);
}

/**
 * Where rolling back `source` (a phase run) leaves the ledger: the phase's `rollback.to` for a
 * run that followed the path, but the ledger's phase before the run for one that skipped phases
 * with `--force` — those skipped phases were never applied, so "back to 1" after `phase 2
 * --force` from 0 would claim a state the systems never had.
 */
export function rollbackTargetOf(plan: Plan, rollbackTo: number | null, source: Run): number | null {
  return wasForced(plan, source) || source.status !== 'succeeded' ? source.from : rollbackTo;
}

/**
 * The phases the ledger says are applied: the current phase and, following the run that
 * applied each one back to the phase it started from, those before it. After `phase 2 --force`
 * from 0 that is {0, 2}: phase 1 was never applied. Without a recorded run (a ledger edited by
 * hand) the path order stands in for the missing links.
 */
export function appliedPhases(plan: Plan, state: Readonly<State>): Set<number> {
  const applied = new Set<number>();
  let current = state.current;
  for (let guard = 0; current !== null && guard < 1000 && !applied.has(current); guard++) {
    applied.add(current);
    const run = runThatApplied(state, current);
    if (run) {
      current = run.from;
      continue;
    }
    const i = plan.path.indexOf(current);
    for (let j = 0; j < i; j++) applied.add(plan.path[j]!);
    break;
  }
  return applied;
}

/**
 * Backups that `prune` must keep, each with the reason to show:
 * - those of the run that applied the current phase (its rollback restores them), and of every
 *   run that applied a phase still applied (a `rollback --to` walks through them);
 * - the backups and snapshots of every unsettled run, whatever ended it (killed, interrupted,
 *   failed under `--no-auto-rollback`): a rollback or resume of it restores them;
 * - the snapshots of the last run if it was a rollback (they undo that rollback).
 */
export function protectedBackups(state: Readonly<State>, live?: LiveHolder): Map<string, string> {
  const keep = new Map<string, string>();
  const add = (ids: string[], reason: string) => {
    for (const id of ids) if (!keep.has(id)) keep.set(id, reason);
  };
  let current = state.current;
  for (let guard = 0; current !== null && guard < 1000; guard++) {
    const applied = runThatApplied(state, current);
    if (!applied) break;
    add(applied.backups, `the rollback of phase ${current} restores it (run ${applied.id})`);
    if (applied.from === current) break;
    current = applied.from;
  }
  for (const r of unsettledRuns(state, live)) {
    add([...r.backups, ...r.snapshots], `run ${r.id} (${r.kind}) is ${r.status} and not settled`);
  }
  // A run left `running` by a live holder may still need what it made so far.
  for (const r of state.runs) {
    if (r.status === 'running' && !r.settledBy && r.kind !== 'backup')
      add([...r.backups, ...r.snapshots], `run ${r.id} (${r.kind}) is running`);
  }
  const last = state.runs[state.runs.length - 1];
  if (last?.kind === 'rollback') add(last.snapshots, `it undoes the last rollback (run ${last.id})`);
  return keep;
}

/** A step whose process group may have outlived its run (`kill -9` of gnr-migrate). */
export interface OrphanStep {
  run: Run;
  step: Run['steps'][number] & { pgid: number };
}

/** Steps recorded `running` with a process group, in runs that died, on this host. */
export function orphanSteps(state: Readonly<State>, live: LiveHolder, host: string): OrphanStep[] {
  const found: OrphanStep[] = [];
  for (const run of deadRuns(state, live)) {
    if (run.host !== host) continue;
    for (const step of run.steps)
      if (step.status === 'running' && step.pgid !== undefined)
        found.push({ run, step: step as OrphanStep['step'] });
  }
  return found;
}
