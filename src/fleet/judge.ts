import type { RecapLine } from './engine.js';
import type { HostResult } from './results.js';
import type { HostOutcome } from './schema.js';

/**
 * One rule per command for what a host's result means, so the run, the dry-run, the report
 * and the ledger never disagree. The exit codes are the host's (DESIGN §5).
 */

export interface Judged {
  outcome: HostOutcome;
  message: string;
  hostRunId?: string;
  autoRollback?: boolean;
}

/** The host never ran the command: unreachable, or the agent could not be installed/run. */
function notRun(r: HostResult, recap: RecapLine | undefined): Judged {
  if (recap && recap.unreachable > 0)
    return { outcome: 'unreachable', message: r.error ?? 'unreachable over SSH (see the wave log)' };
  return {
    outcome: recap ? 'error' : 'unreachable',
    message:
      r.error ?? (recap ? 'no result came back (see the wave log)' : 'Ansible did not report this host'),
  };
}

export function messageOf(r: HostResult): string {
  const doc = r.doc ?? {};
  if (typeof doc.message === 'string') return doc.message;
  const err = doc.error as { message?: unknown } | undefined;
  if (err && typeof err.message === 'string') return err.message;
  const last = r.stderrTail.trim().split('\n').pop();
  return last || `exit ${r.exitCode}`;
}

export function judgePhase(r: HostResult, phase: number, recap?: RecapLine): Judged {
  if (!r.ran) return notRun(r, recap);
  const doc = r.doc ?? {};
  const hostRunId = typeof doc.runId === 'string' ? doc.runId : undefined;
  const base = { message: messageOf(r), ...(hostRunId ? { hostRunId } : {}) };
  switch (r.exitCode) {
    case 0:
      return { ...base, outcome: 'applied' };
    case 1:
      // A failed step or verify was rolled back on the host; anything else stopped before
      // changing a thing (checklist, backup).
      return doc.status === 'rolled-back'
        ? { ...base, outcome: 'rolled-back', autoRollback: true }
        : { ...base, outcome: 'blocked' };
    case 2:
      // Refused by the order rules: already there is nothing to do; anything else is blocked.
      if (r.current === phase) return { ...base, outcome: 'skipped', message: `already at phase ${phase}` };
      return { ...base, outcome: 'blocked' };
    case 3:
      return { ...base, outcome: 'needs-person', autoRollback: true };
    case 4:
      return { ...base, outcome: 'blocked' };
    default:
      return { ...base, outcome: 'error' };
  }
}

export function judgeRollback(r: HostResult, recap?: RecapLine): Judged {
  if (!r.ran) return notRun(r, recap);
  const base = { message: messageOf(r) };
  if (r.exitCode === 0) {
    const done = (r.doc?.rolledBack as { phase: number; runId: string }[] | undefined) ?? [];
    const last = done[done.length - 1];
    return {
      outcome: 'reverted',
      message: done.length ? `rolled back phase ${done.map((d) => d.phase).join(', ')}` : 'rolled back',
      ...(last ? { hostRunId: last.runId } : {}),
    };
  }
  return { ...base, outcome: r.exitCode === 3 ? 'needs-person' : 'error' };
}

export function judgeGate(r: HostResult, recap?: RecapLine): Judged {
  if (!r.ran) return notRun(r, recap);
  if (r.exitCode === 0) return { outcome: 'passed', message: 'every gate item passed' };
  const items = (r.doc?.items as { id: string; verdict: string; message: string }[] | undefined) ?? [];
  const failed = items.filter((i) => i.verdict === 'fail');
  return {
    outcome: r.exitCode === 1 ? 'failed' : 'error',
    message: failed.length ? failed.map((i) => `${i.id}: ${i.message}`).join('; ') : messageOf(r),
  };
}

export interface DryRunVerdict {
  host: string;
  state: 'ready' | 'blocked' | 'unreachable' | 'error';
  current: number | null | undefined;
  blockedBy: string[];
  message: string;
}

export function judgeDryRun(r: HostResult, recap?: RecapLine): DryRunVerdict {
  if (!r.ran) {
    const j = notRun(r, recap);
    return {
      host: r.host,
      state: j.outcome === 'unreachable' ? 'unreachable' : 'error',
      current: undefined,
      blockedBy: [],
      message: j.message,
    };
  }
  const doc = r.doc ?? {};
  const current = typeof doc.current === 'number' ? doc.current : doc.current === null ? null : undefined;
  const blockedBy = Array.isArray(doc.blockedBy) ? (doc.blockedBy as unknown[]).map(String) : [];
  if (r.exitCode === 0)
    return { host: r.host, state: 'ready', current, blockedBy: [], message: 'would proceed' };
  if (r.exitCode === 1)
    return { host: r.host, state: 'blocked', current, blockedBy, message: blockedBy[0] ?? messageOf(r) };
  return { host: r.host, state: 'error', current, blockedBy: [messageOf(r)], message: messageOf(r) };
}
