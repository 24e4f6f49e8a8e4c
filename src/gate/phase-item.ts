import { InputError } from '../core/errors.js';
import type { State } from '../ledger/schema.js';
import { nextPhaseId, type PhaseStanding, standingOf } from '../phases/path.js';
import { findPhase, type Phase, type Plan } from '../plan/types.js';
import type { GateItem } from './types.js';

/**
 * Which phase the gate is about and where it stands. Default: the current phase (a redeploy of
 * what is applied), else the next on the path (the first deploy). An unknown `--phase` is bad
 * input (exit 2), like everywhere else.
 */
export function choosePhase(plan: Plan, state: State | undefined, requested: number | undefined): Phase {
  if (requested !== undefined) {
    const phase = findPhase(plan, requested);
    if (!phase) {
      throw new InputError(
        `--phase ${requested}: no such phase in ${plan.file} (phases: ${plan.phases.map((p) => p.id).join(', ')})`,
      );
    }
    return phase;
  }
  const current = state?.current ?? null;
  const id =
    (current !== null && findPhase(plan, current) ? current : undefined) ?? nextPhaseId(plan, current);
  const phase = id === undefined ? undefined : findPhase(plan, id);
  if (!phase) {
    throw new InputError(
      `no phase to gate: the ledger's current phase ${current} is not in ${plan.file}; pass --phase ID`,
    );
  }
  return phase;
}

/** `standingOf`, plus: a phase off the path that the ledger shows current is applied. */
export function standingFor(plan: Plan, phase: Phase, state: State): PhaseStanding {
  const standing = standingOf(plan, phase, state.current);
  if (standing === 'off-path' && state.current === phase.id) return 'current';
  return standing;
}

export function isApplied(standing: PhaseStanding): boolean {
  return standing === 'applied' || standing === 'current';
}

export function phaseItem(plan: Plan, phase: Phase, state: State | undefined): GateItem {
  const base = {
    id: 'phase',
    group: 'phase' as const,
    title: `phase ${phase.id} is applied or next on the path`,
    threshold: 'applied or next',
  };
  if (!state) {
    return { ...base, verdict: 'skipped', measured: null, message: 'skipped: the ledger cannot be read' };
  }
  const standing = standingFor(plan, phase, state);
  const current = state.current === null ? 'nothing applied yet' : `current: ${state.current}`;
  switch (standing) {
    case 'current':
      return {
        ...base,
        verdict: 'pass',
        measured: 'current',
        message: `phase ${phase.id} is the current phase`,
      };
    case 'applied':
      return {
        ...base,
        verdict: 'pass',
        measured: 'applied',
        message: `phase ${phase.id} is applied (${current})`,
      };
    case 'next':
      return {
        ...base,
        verdict: 'pass',
        measured: 'next',
        message: `phase ${phase.id} is next on the path (${current})`,
      };
    case 'pending': {
      const first = nextPhaseId(plan, state.current);
      return {
        ...base,
        verdict: 'fail',
        measured: 'pending',
        message: `phase ${phase.id} is not next: apply phase ${first} first (${current})`,
      };
    }
    case 'deferred':
      return {
        ...base,
        verdict: 'fail',
        measured: 'deferred',
        message: `phase ${phase.id} is deferred in the plan and is not deployed`,
      };
    default:
      return {
        ...base,
        verdict: 'fail',
        measured: 'off-path',
        message: `phase ${phase.id} is not on the path (${plan.path.join(' → ')})`,
      };
  }
}
