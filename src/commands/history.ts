import { formatDuration } from '../core/clock.js';
import { type HistoryEntry, readHistory } from '../ledger/history.js';
import { holderState, readLock } from '../ledger/lock.js';
import { readState } from '../ledger/state.js';
import { type Colors, colorsFor, table, wantColor } from '../ui/output.js';
import { type CommandContext, parsePhaseId } from './context.js';

interface HistoryOptions {
  limit?: number;
  all?: boolean;
  phase?: string;
}

/** `history`: every run of the ledger, newest last — a result, so it goes to stdout. */
export async function run(ctx: CommandContext, options: HistoryOptions): Promise<number> {
  const { out, ws } = ctx;
  const phase = options.phase === undefined ? undefined : parsePhaseId(options.phase, '--phase');
  const [state, lock] = await Promise.all([readState(ws), readLock(ws)]);
  const lockState = lock?.info ? holderState(lock.info) : undefined;
  const live = lockState === 'alive' || lockState === 'other-host' ? lock?.info : undefined;
  const history = readHistory(state, live);
  const matching = history.entries.filter((e) => phase === undefined || e.phase === phase);
  const limit = options.all ? matching.length : (options.limit ?? 20);
  const shown = matching.slice(Math.max(0, matching.length - limit));

  if (out.json) {
    out.data({
      current: state.current,
      total: matching.length,
      runs: shown,
      halfApplied: history.halfApplied,
      active: history.active?.id ?? null,
    });
    return 0;
  }
  if (matching.length === 0) {
    out.raw(`No runs in ${ws.stateFile}${phase === undefined ? '' : ` for phase ${phase}`}.\n`);
    return 0;
  }
  // The table is the result: stdout, coloured only when stdout itself is a terminal.
  const c = colorsFor(wantColor(ctx.processEnv, out.streams.stdout.isTTY));
  const lines: string[] = [];
  if (shown.length < matching.length)
    lines.push(c.dim(`(${matching.length - shown.length} earlier runs not shown: --all)`));
  lines.push(
    table([
      ['started', 'run', 'what', 'outcome', 'took', 'by'].map((h) => c.bold(h)),
      ...shown.map((e) => [
        localTime(e.startedAt),
        e.id,
        e.what,
        outcome(e, c),
        e.durationMs === null ? '-' : formatDuration(e.durationMs),
        `${e.user}@${e.host}`,
      ]),
    ]),
  );
  lines.push('');
  lines.push(c.bold('Details'));
  let previousInputs = '';
  for (const e of shown) {
    const inputs = inputsLine(e);
    const details = detailsOf(e, inputs === previousInputs ? (inputs ? 'as above' : '') : shorten(inputs));
    previousInputs = inputs;
    if (details.length === 0) continue;
    lines.push(`  ${e.id}`);
    for (const d of details) lines.push(c.dim(`      ${d}`));
  }
  for (const h of history.halfApplied) {
    lines.push('');
    lines.push(
      c.yellow(
        `Phase ${h.phase} is half-applied (${h.state}, run ${h.runId}). Run: ${h.remedy.map((r) => `\`${r}\``).join(' or ')}.`,
      ),
    );
  }
  out.raw(`${lines.join('\n')}\n`);
  return 0;
}

function outcome(e: HistoryEntry, c: Colors): string {
  const settledLater = e.settledBy && e.settledBy !== e.id && e.status !== 'rolled-back';
  const text = settledLater && e.status !== 'succeeded' ? `${e.status}, settled` : e.status;
  if (e.status === 'succeeded') return c.green(text);
  if (e.status === 'running') return c.cyan(text);
  if (e.status === 'rolled-back') return c.yellow(text);
  return c.red(text);
}

function inputsLine(e: HistoryEntry): string {
  return [
    e.inputs.env && `--env ${e.inputs.env}`,
    e.inputs.plan && `--plan ${e.inputs.plan}`,
    ...Object.entries(e.inputs.vars).map(([k, v]) => `--var ${k}=${v}`),
    ...e.inputs.acks.map((a) => `--ack ${a}`),
    ...e.inputs.flags,
  ]
    .filter(Boolean)
    .join(' ');
}

/** A deploy passes many vars: the table stays readable, `--json` has them all. */
function shorten(inputs: string, max = 160): string {
  if (inputs.length <= max) return inputs;
  const cut = inputs.lastIndexOf(' --', max);
  const kept = inputs.slice(0, cut > 0 ? cut : max);
  const more = (inputs.slice(kept.length).match(/ --/g) ?? []).length;
  return `${kept} … (+${more} more: --json)`;
}

function detailsOf(e: HistoryEntry, inputs: string): string[] {
  const d: string[] = [];
  if (inputs) d.push(`inputs:   ${inputs}`);
  if (e.reason) d.push(`reason:   ${e.reason}`);
  if (e.resumes) d.push(`resumes:  ${e.resumes}`);
  if (e.rollbackOf) d.push(`undoes:   ${e.rollbackOf}`);
  if (e.settledBy && e.settledBy !== e.id) d.push(`settled:  by ${e.settledBy}`);
  if (e.backups.length) d.push(`backups:  ${e.backups.join(', ')}`);
  if (e.snapshots.length) d.push(`snapshot: ${e.snapshots.join(', ')}`);
  // A manual rollback writes a record too (DESIGN §4); it is not a failure when it worked.
  if (e.links.failure)
    d.push(
      `${e.action === 'rollback' && e.status === 'succeeded' ? 'record: ' : 'failure:'}  ${e.links.failure}`,
    );
  if (e.links.logs) d.push(`logs:     ${e.links.logs}`);
  if (e.links.runbook) d.push(`runbook:  ${e.links.runbook}`);
  for (const n of e.notifications)
    d.push(
      `notified: ${n.target} ${n.delivered ? 'delivered' : `NOT delivered (${n.error ?? n.status ?? 'unknown'})`}`,
    );
  return d;
}

/** `2026-11-22 10:15:00`, local time like the backup folder names. */
function localTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
