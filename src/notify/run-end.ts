import { isAbsolute, join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { currentHost, currentUser } from '../core/host.js';
import { redactDeep } from '../core/redact.js';
import type { Workspace } from '../core/workspace.js';
import { readFailure } from '../ledger/failure.js';
import type { NotificationRecord } from '../ledger/schema.js';
import type { NotifyOn } from '../plan/schema.js';
import type { Plan } from '../plan/types.js';
import type { RunEndEvent } from './event.js';
import { notifyRunEnd } from './send.js';
import type { NotifyTransport } from './transport.js';

/**
 * The one hook the phase runner and the rollback command call when a run has ended (its ledger
 * record is final): it works out which events the end is, sends the notifications the plan asks
 * for, and records how each went on the run. Never throws.
 */
export interface RunEnd {
  kind: 'phase' | 'rollback';
  phase: number | null;
  runId: string;
  exitCode: number;
  status: 'succeeded' | 'failed' | 'rolled-back' | 'interrupted';
  /** The failure record, relative to the workspace or absolute. */
  failure?: string;
  /** The rollback that followed (automatic, or the manual one itself). */
  rollback?: { outcome: string; runId?: string };
}

export interface RunEndDeps {
  plan: Plan;
  ws: Workspace;
  processEnv: NodeJS.ProcessEnv;
  /** Writes the records on the run in the ledger. */
  record(runId: string, records: NotificationRecord[]): Promise<void>;
  transport?: NotifyTransport;
}

/** Which `on:` values an end matches. */
export function eventsOf(end: RunEnd): NotifyOn[] {
  if (end.kind === 'rollback') return end.status === 'succeeded' ? ['success'] : ['failure', 'needs_person'];
  if (end.status === 'succeeded') return ['success'];
  if (end.rollback === undefined || end.rollback.outcome === 'not-attempted') return ['failure'];
  return end.rollback.outcome === 'succeeded'
    ? ['failure', 'rollback']
    : ['failure', 'rollback', 'needs_person'];
}

export async function announceRunEnd(deps: RunEndDeps, end: RunEnd): Promise<NotificationRecord[]> {
  const targets = deps.plan.notify ?? [];
  if (targets.length === 0) return [];
  try {
    const events = eventsOf(end);
    const failurePath = end.failure
      ? isAbsolute(end.failure)
        ? end.failure
        : join(deps.ws.root, end.failure)
      : null;
    const record = failurePath
      ? await readFailure(deps.ws, failurePath.split('/').pop()!).catch(() => undefined)
      : undefined;
    const rollbackFailed = events.includes('needs_person');
    const event: RunEndEvent = {
      events,
      project: deps.plan.project,
      kind: end.kind,
      phase: end.phase,
      outcome:
        end.status === 'succeeded'
          ? 'succeeded'
          : end.status === 'interrupted'
            ? 'interrupted'
            : rollbackFailed
              ? 'rollback-failed'
              : end.status === 'rolled-back'
                ? 'rolled-back'
                : 'failed',
      exit_code: end.exitCode,
      reason: record?.reason ?? null,
      run_id: end.runId,
      failure_record: failurePath,
      rollback:
        end.rollback?.outcome ??
        (end.kind === 'phase' && end.status !== 'succeeded' ? 'not-attempted' : null),
      rollback_run: end.rollback?.runId ?? null,
      runbook: end.phase === null ? null : join(deps.ws.rollbackDir, `phase-${end.phase}.md`),
      host: currentHost(),
      user: currentUser(),
      workspace: deps.ws.root,
      at: systemClock.now().toISOString(),
    };
    const transport = deps.transport ?? (await import('./transport-node.js')).nodeTransport;
    // A secret var's value never leaves in a reason (the plan's own headers may still use it).
    const records = await notifyRunEnd(targets, redactDeep(event), {
      transport,
      clock: systemClock,
      vars: deps.plan.vars,
      processEnv: deps.processEnv,
    });
    if (records.length > 0) await deps.record(end.runId, records).catch(() => undefined);
    return records;
  } catch (err) {
    return [
      {
        target: 'notify',
        events: [],
        delivered: false,
        at: new Date().toISOString(),
        error: `notifications not sent: ${(err as Error).message}`,
      },
    ];
  }
}

/** The warnings a person sees for the notifications that were not delivered. */
export function notificationWarnings(records: NotificationRecord[]): string[] {
  return records
    .filter((r) => !r.delivered)
    .map(
      (r) =>
        `notification to ${r.target} not delivered (${r.error ?? `status ${r.status}`}); the run's outcome stands`,
    );
}
