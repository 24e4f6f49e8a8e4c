import { relative } from 'node:path';
import type { BackupInfo } from '../backup/types.js';
import type { CheckResult } from '../checklists/types.js';
import { currentHost, currentUser } from '../core/host.js';
import type { ProcessResult } from '../core/process.js';
import { toolVersion } from '../core/version.js';
import {
  type FailureKind,
  type FailureRecord,
  failurePath,
  type RollbackOutcome,
  readFailure,
  updateFailure,
  writeFailure,
} from '../ledger/failure.js';
import type { Run } from '../ledger/schema.js';
import type { Command, Phase, Plan } from '../plan/types.js';
import type { RunSession } from './session.js';

export interface FailedStep {
  id: string;
  stage: string;
  command: Command;
  result: ProcessResult;
  log: string;
  message: string;
}

export interface FailureInput {
  plan: Plan;
  phase: Phase;
  kind: FailureKind;
  reason: string;
  runId: string;
  step?: FailedStep;
  checks?: CheckResult[];
  backups: BackupInfo[];
  runbook?: string;
  metrics?: Record<string, unknown>;
  rollback?: RollbackOutcome;
}

const notAttempted: RollbackOutcome = {
  attempted: false,
  outcome: 'not-attempted',
  restored: [],
  snapshots: [],
  undone: [],
  errors: [],
  verify: [],
};

/** Writes the failure record and links it from the run in the ledger. */
export async function recordFailure(session: RunSession, input: FailureInput): Promise<FailureRecord> {
  const at = session.clock.now();
  const failing = (input.checks ?? []).filter(
    (c) => c.blocking || c.status === 'fail' || c.status === 'timeout' || c.status === 'error',
  );
  const logTails: Record<string, string> = {};
  if (input.step) logTails[input.step.id] = lastLines(input.step.result.tail, 40);
  for (const c of failing) if (c.outputTail) logTails[`check:${c.id}`] = lastLines(c.outputTail, 40);
  const record = await writeFailure(
    session.ws,
    {
      version: 1,
      system: input.plan.project,
      phase: input.phase.id,
      kind: input.kind,
      timestamp: at.toISOString(),
      reason: input.reason,
      runId: input.runId,
      step: input.step
        ? {
            id: input.step.id,
            stage: input.step.stage,
            ...(input.step.command.kind === 'run'
              ? { argv: input.step.command.argv }
              : { shell: input.step.command.script }),
            exitCode: input.step.result.exitCode,
            signal: input.step.result.signal,
            durationMs: Math.round(input.step.result.durationMs),
            timedOut: input.step.result.timedOut,
            log: input.step.log,
            message: input.step.message,
          }
        : null,
      checks: failing.map((c) => ({
        id: c.id,
        kind: c.kind,
        status: c.status,
        message: c.reason,
        ...(c.log ? { log: c.log } : {}),
      })),
      logTails,
      metrics: input.metrics ?? null,
      backups: input.backups.map((b) => ({ id: b.id, system: b.system, path: b.dir })),
      rollback: input.rollback ?? notAttempted,
      ...(input.runbook ? { runbook: input.runbook } : {}),
      host: currentHost(),
      user: currentUser(),
      toolVersion: toolVersion(),
    },
    at,
  );
  await session.updateRun(input.runId, (run) => {
    run.failure = relative(session.ws.root, failurePath(session.ws, record.id));
  });
  return record;
}

export async function recordRollbackOutcome(
  session: RunSession,
  record: FailureRecord,
  outcome: RollbackOutcome,
): Promise<void> {
  await updateFailure(session.ws, { ...record, rollback: outcome });
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.slice(-n).join('\n');
}

/**
 * A rollback settles earlier runs: the one it undid and, for a resumed run, the run that one
 * resumed. Their failure records were written `not-attempted` (an interrupt, or a failure under
 * `--no-auto-rollback`); they now say how the rollback went. A successful rollback also settles
 * the resumed run in the ledger, so it is not left asking for a second rollback.
 */
export async function recordSettledBy(
  session: RunSession,
  source: Run,
  outcome: RollbackOutcome,
): Promise<void> {
  const chain: Run[] = [];
  for (
    let r: Run | undefined = source;
    r && !chain.includes(r);
    r = r.resumes ? session.ledger.run(r.resumes) : undefined
  )
    chain.push(r);
  for (const run of chain) {
    if (!run.failure) continue;
    const id = run.failure
      .split('/')
      .pop()!
      .replace(/\.json$/, '');
    const record = await readFailure(session.ws, id).catch(() => undefined);
    if (record?.rollback.outcome !== 'not-attempted') continue;
    await updateFailure(session.ws, { ...record, rollback: outcome });
  }
  if (outcome.outcome === 'succeeded' && outcome.runId) {
    const by = outcome.runId;
    const earlier = chain.slice(1).filter((r) => !r.settledBy);
    if (earlier.length > 0)
      await session.ledger.update((state) => {
        for (const e of earlier) {
          const r = state.runs.find((x) => x.id === e.id);
          if (r) r.settledBy = by;
        }
      });
  }
}
