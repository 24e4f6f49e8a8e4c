import { formatAge } from '../core/clock.js';
import { listFailures } from '../ledger/failure.js';
import { failureViews, readHistory } from '../ledger/history.js';
import { readState } from '../ledger/state.js';
import { table } from '../ui/output.js';
import type { CommandContext } from './context.js';

/**
 * `failures`: the failure records that are failures. A manual rollback that succeeded also
 * writes a record (DESIGN §4), but it is not a failure: it is left out here and shown by
 * `history`. A record's rollback outcome is read with the ledger, so a run settled later (rolled
 * back or resumed) no longer reads `not-attempted`.
 */
export async function run(ctx: CommandContext): Promise<number> {
  const { out, ws } = ctx;
  const [{ records, unreadable }, state] = await Promise.all([listFailures(ws), readState(ws)]);
  for (const u of unreadable) out.warn(`${u.file}: ${u.reason}`);
  const views = failureViews(records, readHistory(state, undefined));
  const failures = views.filter((v) => v.isFailure);
  const manualRollbacks = views.length - failures.length;
  if (out.json) {
    out.data({
      failures: failures.map(({ record: r, rollback }) => ({
        id: r.id,
        phase: r.phase,
        kind: r.kind,
        timestamp: r.timestamp,
        reason: r.reason,
        runId: r.runId,
        rollback: rollback.outcome,
        rollbackRun: rollback.runId,
      })),
      manualRollbacks,
      unreadable,
    });
    return 0;
  }
  const { c } = out;
  const note =
    manualRollbacks > 0
      ? c.dim(
          `${manualRollbacks} record${manualRollbacks === 1 ? '' : 's'} of manual rollbacks that succeeded not listed: see \`gnr-migrate history\`.`,
        )
      : '';
  if (failures.length === 0) {
    out.say(`No failures in ${ws.failuresDir}.`);
    if (note) out.say(note);
    return 0;
  }
  const now = new Date();
  out.say(
    table([
      ['id', 'phase', 'kind', 'age', 'rollback', 'reason'].map((h) => c.bold(h)),
      ...failures.map(({ record: r, rollback }) => [
        r.id,
        String(r.phase ?? '-'),
        r.kind,
        formatAge(new Date(r.timestamp), now),
        rollback.outcome === 'failed' ? c.red(rollback.outcome) : rollback.outcome,
        r.reason.length > 70 ? `${r.reason.slice(0, 69)}…` : r.reason,
      ]),
    ]),
  );
  if (note) out.say(`\n${note}`);
  out.say(c.dim(`${note ? '' : '\n'}\`gnr-migrate failures show ID\` for the whole record.`));
  return 0;
}
