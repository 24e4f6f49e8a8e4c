import type { Phase, Plan } from '../plan/types.js';

/** Where a phase stands relative to the ledger's current phase. */
export type PhaseStanding = 'applied' | 'current' | 'next' | 'pending' | 'deferred' | 'off-path';

/** The position of the current phase on the path; -1 when nothing is applied. */
export function currentIndex(plan: Plan, current: number | null): number {
  return current === null ? -1 : plan.path.indexOf(current);
}

/** The next phase to apply on the path, or undefined when the path is done. */
export function nextPhaseId(plan: Plan, current: number | null): number | undefined {
  return plan.path[currentIndex(plan, current) + 1];
}

/** The phase before `id` on the path; null when `id` is first (nothing applied before it). */
export function predecessorOf(plan: Plan, id: number): number | null | undefined {
  const i = plan.path.indexOf(id);
  if (i === -1) return undefined;
  return i === 0 ? null : (plan.path[i - 1] ?? null);
}

export function standingOf(plan: Plan, phase: Phase, current: number | null): PhaseStanding {
  if (phase.deferred) return 'deferred';
  const i = plan.path.indexOf(phase.id);
  if (i === -1) return 'off-path';
  const c = currentIndex(plan, current);
  if (i < c) return 'applied';
  if (i === c) return 'current';
  if (i === c + 1) return 'next';
  return 'pending';
}

/** The phases in display order: the path first, then the others (deferred) by id. */
export function phasesInPathOrder(plan: Plan): Phase[] {
  const onPath = plan.path.map((id) => plan.phases.find((p) => p.id === id)).filter((p): p is Phase => !!p);
  const others = plan.phases.filter((p) => !plan.path.includes(p.id)).sort((a, b) => a.id - b.id);
  return [...onPath, ...others];
}

/**
 * The phases a rollback walks back through, newest first, from `current` down to `target`
 * (exclusive): rolling back 7 to 5 undoes 7, then 6.
 */
export function rollbackChain(plan: Plan, current: number, target: number | null): number[] {
  const c = plan.path.indexOf(current);
  const t = target === null ? -1 : plan.path.indexOf(target);
  const chain: number[] = [];
  for (let i = c; i > t; i--) chain.push(plan.path[i]!);
  return chain;
}

export function phaseLabel(phase: Phase): string {
  return `phase ${phase.id} (${phase.title})`;
}
