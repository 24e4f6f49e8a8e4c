import { parseBackupId } from '../backup/layout.js';
import { InputError } from '../core/errors.js';
import { rollbackTargetOf, runThatApplied, unsettledRuns } from '../ledger/run-state.js';
import type { Run, State } from '../ledger/schema.js';
import { findPhase, type Phase, type Plan } from '../plan/types.js';

/** One phase to roll back: which run's effects to undo, and where the ledger ends up. */
export interface RollbackItem {
  phase: Phase;
  source: Run;
  target: number | null;
  /** Why this item is in the plan, for the dry-run and the log. */
  why: string;
}

/**
 * What `rollback [--to ID]` will do, in order. An unsettled run (interrupted, failed, or cut
 * off) is undone first, back to where it started. Then, with `--to`, the current phase is rolled
 * back to its target, and so on until the ledger reaches ID (7 → 6 → 5 …); without `--to`, the
 * current phase alone — unless an unsettled run was the whole job.
 */
export function planRollback(
  plan: Plan,
  state: State,
  liveHolder: { pid: number; host: string } | undefined,
  to: number | null | undefined,
): RollbackItem[] {
  const items: RollbackItem[] = [];
  const unsettledPhaseRun = [...unsettledRuns(state, liveHolder)].reverse().find((r) => r.kind === 'phase');
  let current = state.current;
  if (unsettledPhaseRun) {
    const phase = phaseOf(plan, unsettledPhaseRun.phase!);
    items.push({
      phase,
      source: unsettledPhaseRun,
      target: unsettledPhaseRun.from,
      why: `run ${unsettledPhaseRun.id} of phase ${phase.id} is ${unsettledPhaseRun.status}: undo what it completed`,
    });
    current = unsettledPhaseRun.from;
    if (to === undefined) return items;
  }

  if (to !== undefined && to !== null) {
    if (!findPhase(plan, to))
      throw new InputError(`--to ${to}: no such phase in the plan (path: ${plan.path.join(' → ')})`);
    if (!plan.path.includes(to))
      throw new InputError(`--to ${to}: phase ${to} is not on the path (${plan.path.join(' → ')})`);
  }
  const targetIndex = to === undefined || to === null ? -1 : plan.path.indexOf(to);
  if (current === null) {
    if (items.length === 0)
      throw new InputError('nothing to roll back: no phase is applied and no run is unsettled');
    return items;
  }
  if (to !== undefined && plan.path.indexOf(current) < targetIndex) {
    throw new InputError(
      `--to ${to}: the current phase is ${current}, which is before ${to}; rollback only goes back`,
    );
  }
  if (to !== undefined && current === to) {
    if (items.length === 0)
      throw new InputError(`nothing to roll back: phase ${to} is already the current phase`);
    return items;
  }
  for (let guard = 0; current !== null && guard < 100; guard++) {
    const phase = phaseOf(plan, current);
    const source = runThatApplied(state, current);
    if (!source) {
      throw new InputError(
        `phase ${current} is current but the ledger has no run that applied it; roll it back by its runbook (migration/rollback/phase-${current}.md)`,
      );
    }
    const target = rollbackTargetOf(plan, phase.rollback.to, source);
    if (to !== undefined && to !== null && target !== null && plan.path.indexOf(target) < targetIndex) {
      throw new InputError(
        `--to ${to}: phase ${current} rolls back to ${target}, past ${to}; choose --to ${target}`,
      );
    }
    items.push({
      phase,
      source,
      target,
      why:
        target === phase.rollback.to
          ? `phase ${current} is applied (run ${source.id}): roll back to ${target ?? 'the start'}`
          : `phase ${current} was applied with --force from ${target ?? 'the start'} (run ${source.id}): roll back to where that run started`,
    });
    current = target;
    if (to === undefined || current === to || (to === null && current === null)) break;
    if (to !== null && current === null) break;
  }
  return items;
}

function phaseOf(plan: Plan, id: number): Phase {
  const phase = findPhase(plan, id);
  if (!phase) throw new InputError(`the ledger names phase ${id}, which is not in the plan ${plan.file}`);
  return phase;
}

/** The undo of each step `source` completed, newest first: what the executor runs and the dry-run shows. */
export function undoList(phase: Phase, source: Run): Phase['steps'] {
  const completed = new Set(
    source.steps.filter((s) => s.stage === 'step' && s.status === 'succeeded').map((s) => s.id),
  );
  return [...phase.steps].reverse().filter((s) => s.undo && completed.has(s.id));
}

/** The backups of `source` that a rollback of `phase` restores (by the system in their id). */
export function restoreList(phase: Phase, source: Run): string[] {
  return source.backups.filter((id) => phase.rollback.restore.includes(parseBackupId(id)?.system ?? ''));
}
