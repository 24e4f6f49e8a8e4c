import type { NotifyOn } from '../plan/schema.js';

/**
 * What a notification says about the end of a run. The field names are those of the default
 * JSON body and of `${field}` in a `notify:` template, so one name means one thing everywhere.
 */
export interface RunEndEvent {
  /** The `on:` values this run's end matches (one notification per target, whatever the count). */
  events: NotifyOn[];
  project: string;
  /** phase: `phase <id>` (also `--resume`); rollback: `rollback` by hand. */
  kind: 'phase' | 'rollback';
  phase: number | null;
  /** succeeded · failed · rolled-back · rollback-failed · interrupted */
  outcome: 'succeeded' | 'failed' | 'rolled-back' | 'rollback-failed' | 'interrupted';
  exit_code: number;
  reason: string | null;
  run_id: string;
  /** Absolute path of the failure record, on the host below. */
  failure_record: string | null;
  /** How the rollback went: succeeded · failed · not-attempted; null when none was due. */
  rollback: string | null;
  rollback_run: string | null;
  runbook: string | null;
  host: string;
  user: string;
  workspace: string;
  at: string;
}

/** The `${field}` names a template may use (besides the plan's vars and `${env:NAME}`). */
export const eventFields = [
  'text',
  'event',
  'events',
  'project',
  'kind',
  'phase',
  'outcome',
  'exit_code',
  'reason',
  'run_id',
  'failure_record',
  'rollback',
  'rollback_run',
  'runbook',
  'host',
  'user',
  'workspace',
  'at',
] as const;

export type EventField = (typeof eventFields)[number];

/** The most pressing of the events, for `${event}` and the text's wording. */
export function mainEvent(events: NotifyOn[]): NotifyOn {
  for (const e of ['needs_person', 'rollback', 'failure', 'success'] as const)
    if (events.includes(e)) return e;
  return 'failure';
}

/** One line a chat reader understands without opening anything. */
export function eventText(e: RunEndEvent): string {
  const what = e.kind === 'rollback' ? `rollback of phase ${e.phase ?? '-'}` : `phase ${e.phase ?? '-'}`;
  const head =
    e.outcome === 'succeeded'
      ? `${what} succeeded`
      : e.outcome === 'rolled-back'
        ? `${what} FAILED and was rolled back`
        : e.outcome === 'rollback-failed'
          ? `${what} FAILED and its ROLLBACK FAILED: a person must look`
          : e.outcome === 'interrupted'
            ? `${what} was INTERRUPTED`
            : `${what} FAILED`;
  const parts = [`[gnr-migrate] ${e.project}: ${head} on ${e.host}`];
  if (e.reason && e.outcome !== 'succeeded') parts.push(`Reason: ${e.reason}`);
  if (e.failure_record) parts.push(`Failure record: ${e.failure_record}`);
  if (e.outcome === 'rollback-failed' && e.runbook) parts.push(`Runbook: ${e.runbook}`);
  parts.push(`Run ${e.run_id} by ${e.user}.`);
  return parts.join('\n');
}

/** Every field by name, for templates and the default body. */
export function eventValues(e: RunEndEvent): Record<EventField, unknown> {
  return {
    text: eventText(e),
    event: mainEvent(e.events),
    events: e.events.join(','),
    project: e.project,
    kind: e.kind,
    phase: e.phase,
    outcome: e.outcome,
    exit_code: e.exit_code,
    reason: e.reason,
    run_id: e.run_id,
    failure_record: e.failure_record,
    rollback: e.rollback,
    rollback_run: e.rollback_run,
    runbook: e.runbook,
    host: e.host,
    user: e.user,
    workspace: e.workspace,
    at: e.at,
  };
}

/**
 * The default webhook body: `text` is what Slack and Mattermost incoming webhooks show (both
 * ignore the other keys); the rest is for a receiver that reads fields.
 */
export function defaultBody(e: RunEndEvent): Record<string, unknown> {
  const v = eventValues(e);
  return { ...v, events: e.events };
}
