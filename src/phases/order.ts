import { InputError } from '../core/errors.js';
import type { State } from '../ledger/schema.js';
import { findPhase, type Phase, type Plan } from '../plan/types.js';
import { currentIndex, nextPhaseId } from './path.js';

/**
 * The order rules of `phase <id>` (DESIGN §4): phases go along the path one at a time. A
 * refusal names what to do instead; `--force` and `--allow-deferred` are the way around the
 * rules that an operator may knowingly break. Pure; `--resume` is decided by the run plan.
 */

export interface OrderOptions {
  allowDeferred: boolean;
  force: boolean;
}

export type OrderRule = 'deferred' | 'already-applied' | 'off-path' | 'predecessor' | 'nothing-to-resume';

export type OrderVerdict =
  | { ok: true /** Why it is allowed, when an override was used. */; note?: string }
  | { ok: false; rule: OrderRule; reason: string };

/** The phase of the plan with this id; exit 2 naming the phases there are. */
export function phaseOrThrow(plan: Plan, id: number): Phase {
  const phase = findPhase(plan, id);
  if (phase) return phase;
  const known = [...plan.phases]
    .sort((a, b) => a.id - b.id)
    .map((p) => `${p.id}${p.deferred ? ' (deferred)' : ''}`)
    .join(', ');
  throw new InputError(`phase ${id} is not in the plan ${plan.file} (phases: ${known})`);
}

export function checkOrder(plan: Plan, state: State, phaseId: number, opts: OrderOptions): OrderVerdict {
  const phase = phaseOrThrow(plan, phaseId);
  const current = state.current;
  const shown = current === null ? 'none' : String(current);

  if (phase.deferred && !opts.allowDeferred)
    return {
      ok: false,
      rule: 'deferred',
      reason: `phase ${phaseId} (${phase.title}) is deferred. Pass --allow-deferred to apply it anyway.`,
    };
  if (current === phaseId)
    return {
      ok: false,
      rule: 'already-applied',
      reason: `phase ${phaseId} is already applied (it is the current phase); roll back first with \`gnr-migrate rollback\`.`,
    };
  if (phase.deferred) return { ok: true, note: 'a deferred phase, allowed by --allow-deferred' };

  const pos = plan.path.indexOf(phaseId);
  if (pos === -1)
    return opts.force
      ? { ok: true, note: 'not on the path, allowed by --force' }
      : {
          ok: false,
          rule: 'off-path',
          reason: `phase ${phaseId} is not on the path (${plan.path.join(' → ')}). Pass --force to apply it anyway.`,
        };

  const pred = pos === 0 ? null : (plan.path[pos - 1] ?? null);
  if (current === pred) return { ok: true };
  if (opts.force)
    return {
      ok: true,
      note: `--force: phase ${phaseId} follows ${pred ?? 'nothing'} on the path, but the current phase is ${shown}`,
    };
  if (currentIndex(plan, current) >= pos)
    return {
      ok: false,
      rule: 'already-applied',
      reason:
        `phase ${phaseId} is already applied (current: ${shown}). ` +
        (pred === null
          ? 'Roll back every phase first (`gnr-migrate rollback` until none is applied), or pass --force.'
          : `Roll back to phase ${pred} first (\`gnr-migrate rollback --to ${pred}\`), or pass --force.`),
    };
  const next = nextPhaseId(plan, current) ?? pred;
  return {
    ok: false,
    rule: 'predecessor',
    reason: `phase ${phaseId} needs phase ${pred} applied first (current: ${shown}). Run \`gnr-migrate phase ${next}\` first, or pass --force.`,
  };
}
