import { readFailure } from '../ledger/failure.js';
import type { CommandContext } from './context.js';

export async function run(ctx: CommandContext, id: unknown): Promise<number> {
  const { out } = ctx;
  const r = await readFailure(ctx.ws, String(id));
  if (out.json) {
    out.data(r);
    return 0;
  }
  const { c } = out;
  out.say(`${c.bold(r.id)} · phase ${r.phase ?? '-'} · ${r.kind} · ${r.timestamp}`);
  out.say(`reason:   ${r.reason}`);
  out.say(`run:      ${r.runId} on ${r.host} by ${r.user} (gnr-migrate ${r.toolVersion})`);
  if (r.step) {
    const cmd = r.step.argv ? r.step.argv.join(' ') : r.step.shell;
    out.say(`step:     ${r.step.id} (${r.step.stage}) — ${cmd}`);
    out.say(
      `          exit ${r.step.exitCode ?? '-'}${r.step.signal ? `, signal ${r.step.signal}` : ''}${r.step.timedOut ? ', timed out' : ''}, ${r.step.durationMs} ms`,
    );
    if (r.step.log) out.say(`          log ${r.step.log}`);
  }
  for (const ch of r.checks) out.say(`check:    ${ch.id} (${ch.kind}) ${ch.status}: ${ch.message}`);
  if (r.backups.length) out.say(`backups:  ${r.backups.map((b) => b.id).join(', ')}`);
  const rb = r.rollback;
  out.say(
    `rollback: ${rb.outcome}${rb.to !== undefined ? ` to ${rb.to ?? 'the start'}` : ''}${rb.runId ? ` (run ${rb.runId})` : ''}`,
  );
  if (rb.undone.length) out.say(`          undone: ${rb.undone.join(', ')}`);
  if (rb.restored.length) out.say(`          restored: ${rb.restored.join(', ')}`);
  if (rb.snapshots.length) out.say(`          snapshots: ${rb.snapshots.join(', ')}`);
  for (const e of rb.errors) out.say(c.red(`          ${e}`));
  if (r.runbook) out.say(`runbook:  ${r.runbook}`);
  for (const [name, tail] of Object.entries(r.logTails)) {
    out.say(c.bold(`\n--- ${name} (last lines) ---`));
    out.say(tail);
  }
  return 0;
}
