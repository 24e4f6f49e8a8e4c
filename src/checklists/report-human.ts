import { formatDuration } from '../core/clock.js';
import { type Colors, table } from '../ui/output.js';
import type { ChecklistOutcome, CheckResult, CheckStatus } from './types.js';
import { cleanReason } from './verdict.js';

/** The human report of a checklist: one row per check, in plan order, then a summary line. */

export function statusMark(status: CheckStatus, c: Colors): string {
  switch (status) {
    case 'pass':
      return c.green('✓ pass');
    case 'fail':
      return c.red('✗ fail');
    case 'warn':
      return c.yellow('! warn');
    case 'timeout':
      return c.red('⧗ timeout');
    case 'error':
      return c.red('✗ error');
    case 'pending':
      return c.dim('… pending');
  }
}

export function renderChecklistTable(results: CheckResult[], c: Colors): string {
  if (results.length === 0) return '  (no checks)';
  return table(
    results.map((r) => [
      statusMark(r.status, c),
      r.blocking ? c.bold(r.id) : r.id,
      c.dim(r.kind),
      c.dim(formatDuration(r.durationMs)),
      cleanReason(r.reason, 400),
    ]),
  );
}

export function countByStatus(results: CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, timeout: 0, error: 0, pending: 0 };
  for (const r of results) counts[r.status]++;
  return counts;
}

/** "6 checks: 3 passed, 1 failed, 2 pending — blocked by daemon_port" */
export function summaryLine(outcome: ChecklistOutcome, c: Colors): string {
  const n = countByStatus(outcome.results);
  const parts = [
    n.pass && `${n.pass} passed`,
    n.fail && `${n.fail} failed`,
    n.timeout && `${n.timeout} timed out`,
    n.error && `${n.error} could not run`,
    n.warn && `${n.warn} warning${n.warn > 1 ? 's' : ''}`,
    n.pending && `${n.pending} pending`,
  ].filter(Boolean);
  const total = outcome.results.length;
  const head = `${total} check${total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
  return outcome.passed
    ? `${head} — ${c.green('no blocking failure')}`
    : `${head} — ${c.red(`blocked by ${outcome.blocking.map((r) => r.id).join(', ')}`)}`;
}

/** "1 check", "6 checks" */
export { plural } from '../ui/output.js';
