import { holderState, readLock } from '../ledger/lock.js';
import { unsettledRuns } from '../ledger/run-state.js';
import { currentIndex, nextPhaseId, predecessorOf } from '../phases/path.js';
import type { ChecklistContext } from './types.js';
import { fail, pass, type Verdict } from './verdict.js';

/**
 * `previous_phase_applied`: the ledger's current phase is this phase's predecessor on the
 * path. In `gate` and `verify` the phase itself being current also passes (it was applied
 * after its predecessor).
 */
export async function previousPhaseApplied(ctx: ChecklistContext): Promise<Verdict> {
  const { plan, phase } = ctx;
  const current = ctx.state.current;
  const shown = current === null ? 'none' : String(current);
  const pred = predecessorOf(plan, phase.id);
  if (pred === undefined) return fail(`phase ${phase.id} is not on the path (${plan.path.join(' → ')})`);
  if (current === pred)
    return pass(
      pred === null
        ? `phase ${phase.id} is first on the path and nothing is applied yet`
        : `phase ${pred} is applied (current)`,
    );
  if (current === phase.id && (ctx.mode === 'gate' || ctx.mode === 'verify'))
    return pass(`phase ${phase.id} is applied (current), after phase ${pred ?? 'none'}`);
  if (currentIndex(plan, current) >= plan.path.indexOf(phase.id))
    return fail(
      `phase ${phase.id} is already applied (current: ${shown}) — roll back first with \`gnr-migrate rollback --to ${pred ?? 'ID'}\``,
    );
  const next = nextPhaseId(plan, current);
  return fail(
    `phase ${phase.id} needs phase ${pred} applied first (current: ${shown}) — run \`gnr-migrate phase ${next ?? pred}\` first`,
  );
}

/** `no_interrupted_run`: no run in the ledger left `running` by a dead process, or interrupted. */
export async function noInterruptedRun(ctx: ChecklistContext): Promise<Verdict> {
  const lock = await readLock(ctx.ws);
  const holder = lock ? holderState(lock.info) : undefined;
  const live = holder === 'alive' || holder === 'other-host' ? lock?.info : undefined;
  const runs = unsettledRuns(ctx.state, live);
  const first = runs[0];
  if (!first) return pass('no interrupted run in the ledger');
  const how =
    first.kind === 'phase'
      ? `\`gnr-migrate rollback\` or \`gnr-migrate phase ${first.phase} --resume\``
      : '`gnr-migrate rollback`';
  return fail(
    `${first.kind} run ${first.id}${first.phase !== null ? ` of phase ${first.phase}` : ''} (started ${first.startedAt}) was interrupted — settle it with ${how}${runs.length > 1 ? ` (and ${runs.length - 1} more)` : ''}`,
  );
}
