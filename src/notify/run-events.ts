import type { NotificationRecord, Run } from '../ledger/schema.js';
import type { RunEndEvent, RunEvents } from '../phases/definitions.js';
import { announceRunEnd, notificationWarnings, type RunEnd, type RunEndDeps } from './run-end.js';

/**
 * The run-events hook (phases/definitions.ts) that notifies. A phase run is told when it ends;
 * the automatic rollback inside it is not told apart (the phase's end carries its outcome, so a
 * failing phase makes one notification, not two). A rollback by hand is held until `flush`,
 * called once its failure record is written, so the notification can name the record.
 */
export interface RunEndNotifier {
  events: RunEvents;
  /** Sends a held rollback's notification, naming its failure record. */
  flush(runId: string, failureRecord?: string): Promise<void>;
  /** Every notification sent so far, in order. */
  sent(): NotificationRecord[];
  /** One line per notification not delivered. */
  warnings(): string[];
}

export function createRunEndNotifier(
  deps: Omit<RunEndDeps, 'record'>,
  inner: RunEvents = {},
): RunEndNotifier {
  const sent: NotificationRecord[] = [];
  const held = new Map<string, RunEndEvent>();
  const announce = async (event: RunEndEvent, end: RunEnd) => {
    const records = await announceRunEnd(
      { ...deps, record: async (_id, recs) => event.annotate?.((r) => appendTo(r, recs)) },
      end,
    );
    sent.push(...records);
  };
  return {
    events: {
      async onRunEnd(event) {
        await inner.onRunEnd?.(event);
        if (event.kind === 'rollback') {
          if (!isAutomatic(event.run)) held.set(event.run.id, event);
          return;
        }
        const ro = event.rollbackOutcome;
        await announce(event, {
          kind: 'phase',
          phase: event.run.phase,
          runId: event.run.id,
          exitCode: event.exitCode,
          status: phaseStatus(event.outcome),
          ...(event.failureRecord ? { failure: event.failureRecord } : {}),
          ...(ro ? { rollback: { outcome: ro.outcome, ...(ro.runId ? { runId: ro.runId } : {}) } } : {}),
        });
      },
    },
    async flush(runId, failureRecord) {
      const event = held.get(runId);
      if (!event) return;
      held.delete(runId);
      const ok = event.outcome === 'succeeded';
      await announce(event, {
        kind: 'rollback',
        phase: event.run.phase,
        runId,
        exitCode: event.exitCode,
        status: ok ? 'succeeded' : 'failed',
        ...(failureRecord ? { failure: failureRecord } : {}),
        rollback: { outcome: event.rollbackOutcome?.outcome ?? event.outcome, runId },
      });
    },
    sent: () => [...sent],
    warnings: () => notificationWarnings(sent),
  };
}

function appendTo(run: Run, records: NotificationRecord[]): void {
  run.notifications = [...(run.notifications ?? []), ...records];
}

/** The rollback `phase` starts on its own failure (its reason says so). */
function isAutomatic(run: Run): boolean {
  return run.reason?.startsWith('auto-rollback') ?? false;
}

function phaseStatus(outcome: string): RunEnd['status'] {
  return outcome === 'succeeded' || outcome === 'rolled-back' || outcome === 'interrupted'
    ? outcome
    : 'failed';
}
