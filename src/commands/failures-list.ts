import { formatAge } from '../core/clock.js';
import { listFailures } from '../ledger/failure.js';
import { table } from '../ui/output.js';
import type { CommandContext } from './context.js';

export async function run(ctx: CommandContext): Promise<number> {
  const { out, ws } = ctx;
  const { records, unreadable } = await listFailures(ws);
  for (const u of unreadable) out.warn(`${u.file}: ${u.reason}`);
  if (out.json) {
    out.data({
      failures: records.map((r) => ({
        id: r.id,
        phase: r.phase,
        kind: r.kind,
        timestamp: r.timestamp,
        reason: r.reason,
        runId: r.runId,
        rollback: r.rollback.outcome,
      })),
      unreadable,
    });
    return 0;
  }
  if (records.length === 0) {
    out.say(`No failure records in ${ws.failuresDir}.`);
    return 0;
  }
  const now = new Date();
  const { c } = out;
  out.say(
    table([
      ['id', 'phase', 'kind', 'age', 'rollback', 'reason'].map((h) => c.bold(h)),
      ...records.map((r) => [
        r.id,
        String(r.phase ?? '-'),
        r.kind,
        formatAge(new Date(r.timestamp), now),
        r.rollback.outcome === 'failed' ? c.red(r.rollback.outcome) : r.rollback.outcome,
        r.reason.length > 70 ? `${r.reason.slice(0, 69)}…` : r.reason,
      ]),
    ]),
  );
  out.say(c.dim('\n`gnr-migrate failures show ID` for the whole record.'));
  return 0;
}
