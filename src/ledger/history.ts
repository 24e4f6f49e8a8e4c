import type { FailureRecord } from './failure.js';
import { unsettledRuns } from './run-state.js';
import type { NotificationRecord, Run, State } from './schema.js';
import { type ShownInputs, shownInputsOf } from './shown-inputs.js';

/**
 * The one reading of the ledger's history that `history`, `failures` and `status` share: what
 * each run was (a phase, a resume, a manual or automatic rollback, a backup or a restore by
 * hand), how it ended, who ran it with which inputs, where its logs, failure record and runbook
 * are, and which phase is left half-applied and what settles it. Pure: it reads a ledger
 * snapshot (and failure records, for `failures`), never the disk.
 */

export type RunAction =
  | 'phase'
  | 'resume'
  | 'rollback'
  | 'auto-rollback'
  | 'backup-create'
  | 'backup-restore';

export interface HistoryEntry {
  id: string;
  action: RunAction;
  /** A line a person reads: `phase 4`, `rollback 4 → 3 (automatic)`, `backup restore site_…`. */
  what: string;
  phase: number | null;
  from: number | null;
  to: number | null;
  /** The ledger's status of the run. */
  status: Run['status'];
  exitCode: number | null;
  reason: string | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  user: string;
  host: string;
  /** What the run was given, secrets redacted. */
  inputs: ShownInputs;
  links: { logs: string | null; failure: string | null; runbook: string | null };
  /** The interrupted or failed run this one resumes. */
  resumes: string | null;
  /** The phase run this rollback undid. */
  rollbackOf: string | null;
  /** The rollback or resume that settled this run. */
  settledBy: string | null;
  backups: string[];
  snapshots: string[];
  notifications: NotificationRecord[];
}

/** A phase whose run changed systems and was neither finished nor rolled back. */
export interface HalfApplied {
  phase: number;
  runId: string;
  /** interrupted: cut off by a signal or a kill; failed: not rolled back; rollback-failed: a person must look. */
  state: 'interrupted' | 'failed' | 'rollback-failed';
  stepsDone: string[];
  /** The step that was running or failed, if any. */
  stoppedAt: string | null;
  /** The commands that settle it, best first. */
  remedy: string[];
  runbook: string;
}

export interface History {
  entries: HistoryEntry[];
  halfApplied: HalfApplied[];
  /** A run in progress now (its holder holds the lock). */
  active: HistoryEntry | null;
}

type Holder = { pid: number; host: string } | undefined;

export function runbookFor(phase: number): string {
  return `migration/rollback/phase-${phase}.md`;
}

export function readHistory(state: Readonly<State>, liveHolder: Holder): History {
  const byId = new Map(state.runs.map((r) => [r.id, r]));
  const entries = state.runs.map((r) => toEntry(r, state.runs, byId));
  const entryById = new Map(entries.map((e) => [e.id, e]));
  const unsettled = unsettledRuns(state as State, liveHolder);
  const halfApplied: HalfApplied[] = [];
  const seen = new Set<number>();
  for (const run of [...unsettled].reverse()) {
    if (run.phase === null || seen.has(run.phase)) continue;
    seen.add(run.phase);
    halfApplied.push(halfAppliedOf(run, unsettled, entryById, byId));
  }
  halfApplied.reverse();
  const activeRun = state.runs.find(
    (r) => r.status === 'running' && liveHolder && r.pid === liveHolder.pid && r.host === liveHolder.host,
  );
  return { entries, halfApplied, active: activeRun ? (entryById.get(activeRun.id) ?? null) : null };
}

function toEntry(run: Run, runs: Run[], byId: Map<string, Run>): HistoryEntry {
  const action = actionOf(run);
  const rollbackOf = action === 'rollback' || action === 'auto-rollback' ? sourceOf(run, runs) : null;
  const source = rollbackOf ? byId.get(rollbackOf) : undefined;
  const ended = run.endedAt ? new Date(run.endedAt).getTime() : undefined;
  // An automatic rollback writes no record of its own: the phase run's record holds its outcome.
  const failure = run.failure ?? (action === 'auto-rollback' ? (source?.failure ?? null) : null);
  return {
    id: run.id,
    action,
    what: describe(run, action),
    phase: run.phase,
    from: run.from,
    to: run.to,
    status: run.status,
    exitCode: run.exitCode ?? null,
    reason: run.reason ?? null,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? null,
    durationMs: ended === undefined ? null : Math.max(0, ended - new Date(run.startedAt).getTime()),
    user: run.user,
    host: run.host,
    inputs: shownInputsOf(run),
    links: {
      logs: run.steps.some((s) => s.log) ? `migration/logs/${run.id}/` : null,
      failure,
      runbook: run.phase !== null && run.kind !== 'backup' ? runbookFor(run.phase) : null,
    },
    resumes: run.resumes ?? null,
    rollbackOf,
    settledBy: run.settledBy ?? null,
    backups: run.backups,
    snapshots: run.snapshots,
    notifications: run.notifications ?? [],
  };
}

export function actionOf(run: Run): RunAction {
  if (run.kind === 'phase') return run.resumes ? 'resume' : 'phase';
  if (run.kind === 'backup')
    return run.steps.some((s) => s.stage === 'restore') ? 'backup-restore' : 'backup-create';
  // The automatic rollback runs inside `phase` (its command) with an `auto-rollback:` reason.
  const auto = run.reason?.startsWith('auto-rollback') || /^gnr-migrate phase\b/.test(run.command ?? '');
  return auto ? 'auto-rollback' : 'rollback';
}

/** The phase run a rollback undid: the one it settled, else the latest run of that phase before it. */
function sourceOf(rollback: Run, runs: Run[]): string | null {
  const settled = runs.find((r) => r.kind === 'phase' && r.settledBy === rollback.id);
  if (settled) return settled.id;
  const index = runs.indexOf(rollback);
  for (let i = index - 1; i >= 0; i--) {
    const r = runs[i]!;
    if (r.kind === 'phase' && r.phase === rollback.phase) return r.id;
  }
  return null;
}

function describe(run: Run, action: RunAction): string {
  const arrow = (to: number | null) => (to === null ? 'the start' : String(to));
  switch (action) {
    case 'phase':
      return `phase ${run.phase}`;
    case 'resume':
      return `phase ${run.phase} --resume`;
    case 'rollback':
      return `rollback ${run.phase} → ${arrow(run.to)}`;
    case 'auto-rollback':
      return `rollback ${run.phase} → ${arrow(run.to)} (automatic)`;
    case 'backup-create':
      return `backup create ${run.steps.map((s) => s.id).join(' ')}`.trimEnd();
    case 'backup-restore':
      return `backup restore ${run.steps.find((s) => s.stage === 'restore')?.id ?? ''}`.trimEnd();
  }
}

function halfAppliedOf(
  run: Run,
  unsettled: Run[],
  entries: Map<string, HistoryEntry>,
  runs: Map<string, Run>,
): HalfApplied {
  const phase = run.phase!;
  // A failed rollback of this phase that nothing settled: the systems are in between.
  const rollbackFailed =
    run.kind === 'rollback' ||
    unsettled.some((r) => r.kind === 'rollback' && r.phase === phase && r.status === 'failed');
  const source = run.kind === 'rollback' ? runs.get(entries.get(run.id)?.rollbackOf ?? '') : undefined;
  const phaseRun = run.kind === 'phase' ? run : source;
  const steps = phaseRun?.steps ?? [];
  const stepsDone = steps.filter((s) => s.stage === 'step' && s.status === 'succeeded').map((s) => s.id);
  const stopped = [...steps].reverse().find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
  const runbook = runbookFor(phase);
  const state: HalfApplied['state'] = rollbackFailed
    ? 'rollback-failed'
    : run.status === 'failed'
      ? 'failed'
      : 'interrupted';
  const remedy =
    state === 'rollback-failed'
      ? [`follow the runbook ${runbook}`, 'gnr-migrate rollback']
      : ['gnr-migrate rollback', `gnr-migrate phase ${phase} --resume`];
  return {
    phase,
    runId: source?.id ?? run.id,
    state,
    stepsDone,
    stoppedAt: stopped?.id ?? null,
    remedy,
    runbook,
  };
}

/** How a failure record's rollback ended, reading the ledger for what happened after it was written. */
export interface FailureView {
  record: FailureRecord;
  /** A manual rollback that succeeded writes a record (DESIGN §4) but is not a failure. */
  isFailure: boolean;
  rollback: { outcome: string; runId: string | null };
}

export function failureViews(records: FailureRecord[], history: History): FailureView[] {
  const byId = new Map(history.entries.map((e) => [e.id, e]));
  return records.map((record) => {
    const run = byId.get(record.runId);
    const manualRollback =
      record.kind === 'rollback' &&
      (run ? run.action === 'rollback' : !record.reason.startsWith('auto-rollback'));
    const isFailure = !(manualRollback && record.rollback.outcome === 'succeeded');
    let rollback: FailureView['rollback'] = {
      outcome: record.rollback.outcome,
      runId: record.rollback.runId ?? null,
    };
    if (record.rollback.outcome === 'not-attempted' && run?.settledBy) {
      const settler = byId.get(run.settledBy);
      if (settler?.action === 'rollback' || settler?.action === 'auto-rollback')
        rollback = { outcome: settler.status === 'succeeded' ? 'succeeded' : 'failed', runId: settler.id };
      else if (settler?.action === 'resume' || settler?.action === 'phase')
        rollback = { outcome: `resumed (${settler.status})`, runId: settler.id };
    }
    return { record, isFailure, rollback };
  });
}
