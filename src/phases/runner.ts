import { join, relative } from 'node:path';
import type { BackupInfo } from '../backup/types.js';
import { askAcks, runChecklist } from '../checklists/index.js';
import type { ChecklistContext, CheckResult } from '../checklists/types.js';
import { type Clock, formatDuration } from '../core/clock.js';
import { InterruptedError } from '../core/errors.js';
import { operatorErrorOf } from '../core/os-errors.js';
import type { ProcessRunner } from '../core/process.js';
import type { RollbackOutcome } from '../ledger/failure.js';
import type { Run } from '../ledger/schema.js';
import { type Check, findPhase, type Phase, type Plan } from '../plan/types.js';
import { rollbackRun } from '../rollback/execute.js';
import { type RunbookInput, runbookPath, writeRunbook } from '../rollback/runbook.js';
import { startBackupMeter } from '../ui/backup-meter.js';
import { type Output, plural } from '../ui/output.js';
import type { BackupStore, Prompt, RunEvents } from './definitions.js';
import { type FailedStep, recordFailure, recordRollbackOutcome, recordSettledBy } from './failure.js';
import { inputArgs } from './inputs.js';
import type { StageReporter } from './reporter.js';
import type { PhaseRunPlan } from './run-plan.js';
import { toCommand } from './run-plan.js';
import type { RunSession } from './session.js';
import { runRecordedCommand } from './steps.js';

/**
 * Executes a phase run plan, exactly (issue 12 §1): the plan decided what runs; this only does
 * it, stage by stage, writing the ledger through at every change. Everything it touches is
 * injected, so resume, auto-rollback and interrupts are unit-tested with fakes.
 */

export interface PhaseExecutorDeps {
  plan: Plan;
  runner: ProcessRunner;
  clock: Clock;
  out: Output;
  reporter: StageReporter;
  backups: BackupStore;
  /** Asks a person (ack checks); absent without a terminal. */
  prompt?: Prompt;
  processEnv: NodeJS.ProcessEnv;
  signal: AbortSignal;
  commandLine: string;
  events: RunEvents;
  concurrency: number;
  acks: string[];
}

export interface ApplyResult {
  exitCode: number;
  phase: number;
  runId?: string;
  status: Run['status'] | 'refused' | 'declined';
  backups: string[];
  runbook?: string;
  failure?: string;
  rollback?: { runId: string; outcome: string; problem?: string };
  message: string;
}

/** One run in progress: what every stage reads and adds to. */
interface RunContext {
  deps: PhaseExecutorDeps;
  session: RunSession;
  runPlan: PhaseRunPlan;
  phase: Phase;
  run: Run;
  logDir: string;
  backups: BackupInfo[];
  rbPath: string;
  started: number;
}

type StageResult = ApplyResult | undefined;

export async function executePhaseRun(
  deps: PhaseExecutorDeps,
  session: RunSession,
  runPlan: PhaseRunPlan,
): Promise<ApplyResult> {
  const phase = findPhase(deps.plan, runPlan.phase.id)!;
  const run = await session.startRun({
    kind: 'phase',
    phase: phase.id,
    from: runPlan.from,
    to: phase.id,
    command: deps.commandLine,
    planHash: deps.plan.hash,
    inputs: runPlan.inputs,
    ...(runPlan.resume ? { resumes: runPlan.resume.runId } : {}),
  });
  const rc: RunContext = {
    deps,
    session,
    runPlan,
    phase,
    run,
    logDir: join(session.ws.logsDir, run.id),
    backups: [],
    rbPath: runbookPath(session.ws, phase.id),
    started: performance.now(),
  };
  const result =
    (await checklistStage(rc)) ??
    (await backupStage(rc)) ??
    (await reuseBackupStage(rc)) ??
    (await runbookStage(rc)) ??
    (await confirmStage(rc)) ??
    (await stepsStage(rc)) ??
    (await verifyStage(rc)) ??
    (await finishStage(rc));
  return result;
}

const rel = (rc: RunContext, p: string) => relative(rc.session.ws.root, p) || p;

function outcome(rc: RunContext, fields: Omit<ApplyResult, 'phase' | 'runId' | 'backups'>): ApplyResult {
  return { phase: rc.phase.id, runId: rc.run.id, backups: rc.backups.map((b) => b.id), ...fields };
}

function rewriteRunbook(rc: RunContext, status: RunbookInput['status']) {
  return writeRunbook({
    ws: rc.session.ws,
    plan: rc.deps.plan,
    phase: rc.phase,
    runId: rc.run.id,
    status,
    backups: rc.backups,
    steps: rc.session.ledger.run(rc.run.id)?.steps ?? [],
    at: rc.deps.clock.now(),
    rollbackTo: rc.runPlan.rollback.to,
    inputArgs: inputArgs(rc.runPlan.inputs),
  });
}

async function endEvent(rc: RunContext, result: ApplyResult, rollbackOutcome?: RollbackOutcome) {
  const run = rc.session.ledger.run(rc.run.id);
  if (!run || !rc.deps.events.onRunEnd) return;
  try {
    await rc.deps.events.onRunEnd({
      run,
      kind: 'phase',
      outcome: result.status,
      exitCode: result.exitCode,
      ...(result.failure ? { failureRecord: result.failure } : {}),
      ...(rollbackOutcome ? { rollbackOutcome } : {}),
      annotate: (mutate) => rc.session.updateRun(run.id, mutate),
    });
  } catch (err) {
    rc.deps.out.warn(`run-end hook failed: ${(err as Error).message}`);
  }
}

function checksById(list: Check[], ids: string[]): Check[] {
  return ids.map((id) => list.find((c) => c.id === id)).filter((c): c is Check => Boolean(c));
}

async function runChecks(rc: RunContext, title: string, checks: Check[], mode: ChecklistContext['mode']) {
  const { deps, session } = rc;
  const ctx: ChecklistContext = {
    ws: session.ws,
    plan: deps.plan,
    phase: rc.phase,
    state: session.state,
    mode,
    runner: deps.runner,
    clock: deps.clock,
    processEnv: deps.processEnv,
    signal: deps.signal,
    logDir: rc.logDir,
    acks: new Set(deps.acks),
    ...(deps.prompt ? { prompt: deps.prompt } : {}),
    runBackups: rc.backups.map((b) => b.id),
    runbookPath: rc.rbPath,
  };
  // Asked before the live view draws: a prompt under listr2 would garble the terminal.
  try {
    ctx.answers = await askAcks(checks, ctx);
  } catch (err) {
    if (err instanceof InterruptedError) return onInterrupt(rc, 'at a prompt');
    throw err;
  }
  deps.reporter.stage(
    title,
    checks.map((c) => ({ id: c.id, title: c.title })),
    { concurrency: deps.concurrency },
  );
  const result = await runChecklist(checks, ctx, {
    concurrency: deps.concurrency,
    onStart: (c) => deps.reporter.start(c.id, c.title),
    onResult: (c, r) => deps.reporter.end(c.id, r.status, r.reason),
    onOutput: (c, line) => deps.reporter.output(c.id, line),
  });
  const answered = result.results.filter((r) => r.ack);
  if (answered.length > 0) {
    await session.updateRun(rc.run.id, (r) => {
      for (const a of answered) {
        const check = checks.find((c) => c.id === a.id);
        r.acks.push({ check: a.id, question: check?.kind === 'ack' ? check.question : a.title, ...a.ack! });
      }
    });
  }
  return result;
}

function interruptedBy(signal: AbortSignal): 'SIGINT' | 'SIGTERM' | undefined {
  if (!signal.aborted) return undefined;
  const reason = (signal.reason as Error | undefined)?.message;
  return reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
}

/** An interrupt: recorded, runbook kept, lock released by the caller; never rolled back. */
async function onInterrupt(rc: RunContext, where: string, step?: FailedStep): Promise<never> {
  const { session, deps } = rc;
  const sig = interruptedBy(deps.signal) ?? 'SIGINT';
  await session.endRun(rc.run.id, { status: 'interrupted', exitCode: sig === 'SIGINT' ? 130 : 143 });
  const record = await recordFailure(session, {
    plan: deps.plan,
    phase: rc.phase,
    kind: 'interrupted',
    reason: `interrupted by ${sig} ${where}`,
    runId: rc.run.id,
    ...(step ? { step } : {}),
    backups: rc.backups,
    runbook: rc.rbPath,
  });
  const failure = rel(rc, join(session.ws.failuresDir, `${record.id}.json`));
  await endEvent(
    rc,
    outcome(rc, { exitCode: sig === 'SIGINT' ? 130 : 143, status: 'interrupted', failure, message: '' }),
  );
  await deps.reporter.close();
  deps.out.say(
    deps.out.c.yellow(
      `Interrupted by ${sig} ${where}. Nothing was rolled back. Failure recorded: ${failure}\n` +
        `Decide: \`gnr-migrate rollback\` to undo, or \`gnr-migrate phase ${rc.phase.id} --resume\` to go on. Runbook: ${rel(rc, rc.rbPath)}`,
    ),
  );
  throw new InterruptedError(sig);
}

/** A failure before any system changed (checklist, a backup): the run settles itself. */
async function failUnchanged(rc: RunContext, reason: string, message: string, checks?: CheckResult[]) {
  const { session, deps } = rc;
  const record = await recordFailure(session, {
    plan: deps.plan,
    phase: rc.phase,
    kind: 'checklist',
    reason,
    runId: rc.run.id,
    backups: rc.backups,
    runbook: rc.rbPath,
    ...(checks ? { checks } : {}),
  });
  await session.endRun(rc.run.id, { status: 'failed', exitCode: 1, settledBy: rc.run.id });
  const result = outcome(rc, {
    exitCode: 1,
    status: 'failed',
    failure: rel(rc, join(session.ws.failuresDir, `${record.id}.json`)),
    message,
  });
  await endEvent(rc, result);
  return result;
}

/** A failing step or verify: recorded, then rolled back unless told not to. */
async function failChanged(
  rc: RunContext,
  kind: 'step' | 'verify',
  reason: string,
  extra: { step?: FailedStep; checks?: CheckResult[] },
): Promise<ApplyResult> {
  const { session, deps, phase, runPlan } = rc;
  const record = await recordFailure(session, {
    plan: deps.plan,
    phase,
    kind,
    reason,
    runId: rc.run.id,
    backups: rc.backups,
    runbook: rc.rbPath,
    ...extra,
  });
  const failure = rel(rc, join(session.ws.failuresDir, `${record.id}.json`));
  await session.endRun(rc.run.id, { status: 'failed', exitCode: 1 });
  if (!runPlan.rollback.auto) {
    await rewriteRunbook(rc, 'failed');
    const result = outcome(rc, {
      exitCode: 1,
      status: 'failed',
      runbook: rel(rc, rc.rbPath),
      failure,
      message: `phase ${phase.id} failed (${reason}); not rolled back (--no-auto-rollback). Roll back with \`gnr-migrate rollback\` or by the runbook.`,
    });
    await endEvent(rc, result);
    return result;
  }
  const target = runPlan.rollback.to;
  deps.reporter.note(
    deps.out.c.yellow(`Phase ${phase.id} failed: ${reason}. Rolling back to ${target ?? 'the start'}…`),
  );
  const rb = await rollbackRun(
    {
      session,
      plan: deps.plan,
      runner: deps.runner,
      processEnv: deps.processEnv,
      signal: deps.signal,
      reporter: deps.reporter,
      concurrency: deps.concurrency,
      backups: deps.backups,
      events: deps.events,
      snapshot: true,
    },
    { phase, source: session.ledger.run(rc.run.id)!, target, reason: `auto-rollback: ${reason}` },
  );
  await recordRollbackOutcome(session, record, rb.outcome);
  await recordSettledBy(session, session.ledger.run(rc.run.id)!, rb.outcome);
  await rewriteRunbook(rc, rb.ok ? 'rolled back' : 'failed');
  const result = outcome(rc, {
    exitCode: rb.ok ? 1 : 3,
    status: rb.ok ? 'rolled-back' : 'failed',
    runbook: rel(rc, rc.rbPath),
    failure,
    rollback: {
      runId: rb.runId,
      outcome: rb.outcome.outcome,
      ...(rb.problem ? { problem: rb.problem } : {}),
    },
    message: rb.ok
      ? `phase ${phase.id} failed (${reason}) and was rolled back to ${target ?? 'the start'}`
      : `phase ${phase.id} failed (${reason}) and its ROLLBACK FAILED — a person must look:\n${rb.problem}\n  Follow the runbook: ${rel(rc, rc.rbPath)}`,
  });
  await endEvent(rc, result, rb.outcome);
  return result;
}

// ── The stages, in order. Each returns a result to stop the run, or undefined to go on. ──

/** 1. The checklist (skipped when a resume reuses a complete safety net). */
async function checklistStage(rc: RunContext): Promise<StageResult> {
  if (rc.runPlan.checklist.length === 0) return undefined;
  const checks = checksById(rc.phase.checks, rc.runPlan.checklist);
  const result = await runChecks(rc, `Checklist of phase ${rc.phase.id}`, checks, 'apply');
  if (rc.deps.signal.aborted) return onInterrupt(rc, 'during the checklist');
  if (result.passed) return undefined;
  const names = result.blocking.map((b) => `${b.id} (${b.reason})`).join('; ');
  return failUnchanged(
    rc,
    names,
    `phase ${rc.phase.id} blocked by its checklist: ${names}. Nothing was changed.`,
    result.results,
  );
}

/** 2. The backups of every system the phase touches. */
async function backupStage(rc: RunContext): Promise<StageResult> {
  const { deps, session, runPlan } = rc;
  if (runPlan.backups.length === 0) return undefined;
  deps.reporter.stage(
    'Backups',
    runPlan.backups.map((b) => ({ id: `backup-${b.system}`, title: `back up ${b.system}` })),
  );
  for (const { system: name } of runPlan.backups) {
    const system = deps.plan.systems[name]!;
    deps.reporter.start(`backup-${name}`, `back up ${name}`);
    const index = await session.stepStarted(rc.run.id, { id: name, stage: 'backup' });
    // Files, bytes, rate and ETA while it runs (ui/backup-meter.ts).
    const meter = startBackupMeter({
      report: (m) => deps.reporter.progress(`backup-${name}`, m.line, { ...m }),
      everyMs: deps.out.interactive ? 1000 : 10_000,
    });
    try {
      const info = await deps.backups
        .create({
          ws: session.ws,
          system,
          phase: rc.phase.id,
          runId: rc.run.id,
          clock: deps.clock,
          signal: deps.signal,
          onExtent: meter.setTotal,
        })
        .finally(() => meter.stop());
      rc.backups.push(info);
      await session.updateRun(rc.run.id, (r) => {
        r.backups.push(info.id);
      });
      await session.stepEnded(rc.run.id, index, { status: 'succeeded', message: info.id });
      deps.reporter.end(`backup-${name}`, 'pass', `${info.id} · ${plural(info.files, 'file')}`);
    } catch (err) {
      if (deps.signal.aborted) {
        await session.stepEnded(rc.run.id, index, { status: 'interrupted' });
        return onInterrupt(rc, `while backing up ${name}`);
      }
      // A fault of the machine (backups/ a file, read-only, full) says its path and remedy.
      const message = (operatorErrorOf(err) ?? (err as Error)).message;
      await session.stepEnded(rc.run.id, index, { status: 'failed', message });
      deps.reporter.end(`backup-${name}`, 'fail', message);
      return failUnchanged(
        rc,
        `backup of ${name} failed: ${message}`,
        `phase ${rc.phase.id} stopped: the backup of ${name} failed (${message}). Nothing was changed.`,
      );
    }
  }
  return undefined;
}

/**
 * 2'. A resume whose run had its safety net: its backups, re-verified. Steps never run without
 * a verified backup of every system the phase touches.
 */
async function reuseBackupStage(rc: RunContext): Promise<StageResult> {
  const { deps, session, runPlan, phase } = rc;
  if (!runPlan.resume) return undefined;
  const resumed = session.ledger.run(runPlan.resume.runId);
  if (runPlan.reuseBackups.length > 0 || phase.backup.length > 0) {
    if (runPlan.reuseBackups.length > 0) deps.reporter.stage('Verify the backups of the resumed run');
    const problems: string[] = [];
    for (const id of runPlan.reuseBackups) {
      deps.reporter.start(`verify-${id}`, `verify ${id}`);
      try {
        const info = await deps.backups.read(session.ws, id);
        const report = await deps.backups.verify(session.ws, id, { deep: false, signal: deps.signal });
        if (!report.ok) problems.push(`backup ${id} does not verify (${report.problems.length} problems)`);
        else rc.backups.push(info);
        deps.reporter.end(`verify-${id}`, report.ok ? 'pass' : 'fail');
      } catch (err) {
        problems.push(`backup ${id}: ${(err as Error).message}`);
        deps.reporter.end(`verify-${id}`, 'fail', (err as Error).message);
      }
    }
    const covered = new Set(rc.backups.map((b) => b.system));
    for (const s of phase.backup) if (!covered.has(s)) problems.push(`no verified backup of ${s}`);
    if (problems.length > 0) {
      return failUnchanged(
        rc,
        problems.join('; '),
        `phase ${phase.id} not resumed: ${problems.join('; ')}. No step ran; roll back by the runbook or \`gnr-migrate rollback\`.`,
      );
    }
  }
  await session.updateRun(rc.run.id, (r) => {
    for (const b of rc.backups) if (!r.backups.includes(b.id)) r.backups.push(b.id);
    for (const s of resumed?.steps ?? [])
      if (s.stage === 'step' && s.status === 'succeeded')
        r.steps.push({ ...s, message: `completed in run ${resumed!.id}` });
  });
  return undefined;
}

/** 3. The runbook, before any step runs. */
async function runbookStage(rc: RunContext): Promise<StageResult> {
  await rewriteRunbook(rc, 'in progress');
  return undefined;
}

/** 4. `backup_exists` / `rollback_plan`, confirmed against what this run made; the net is in place. */
async function confirmStage(rc: RunContext): Promise<StageResult> {
  const checks = checksById(rc.phase.checks, rc.runPlan.confirm);
  if (checks.length > 0) {
    const confirmed = await runChecks(rc, 'Backups and runbook in place', checks, 'confirm');
    if (!confirmed.passed) {
      const names = confirmed.blocking.map((b) => `${b.id} (${b.reason})`).join('; ');
      return failUnchanged(
        rc,
        names,
        `phase ${rc.phase.id} stopped before its steps: ${names}. Nothing was changed.`,
        confirmed.results,
      );
    }
  }
  await rc.session.updateRun(rc.run.id, (r) => {
    r.safetyNet = true;
  });
  return undefined;
}

/** 5. The steps, each recorded before and after it runs. */
async function stepsStage(rc: RunContext): Promise<StageResult> {
  const { deps, session, runPlan } = rc;
  if (runPlan.steps.length === 0) return undefined;
  deps.reporter.stage(
    `Steps of phase ${rc.phase.id}`,
    runPlan.steps.map((s) => ({ id: s.id, title: s.title })),
  );
  for (const step of runPlan.steps) {
    deps.reporter.start(step.id, step.title);
    const command = toCommand(step);
    const r = await runRecordedCommand(
      {
        session,
        runId: rc.run.id,
        runner: deps.runner,
        logDir: rc.logDir,
        signal: deps.signal,
        onLine: (l) => deps.reporter.output(step.id, l),
      },
      { id: step.id, stage: 'step', command },
    );
    deps.reporter.end(step.id, r.ok ? 'pass' : r.status === 'timed-out' ? 'timeout' : 'fail', r.message);
    const failed: FailedStep = {
      id: step.id,
      stage: 'step',
      command,
      result: r.result,
      log: r.log,
      message: r.message,
    };
    if (r.status === 'interrupted' || deps.signal.aborted)
      return onInterrupt(rc, `during step ${step.id}`, failed);
    if (!r.ok) return failChanged(rc, 'step', `step ${step.id}: ${r.message}`, { step: failed });
  }
  return undefined;
}

/** 6. The success criteria. */
async function verifyStage(rc: RunContext): Promise<StageResult> {
  const checks = checksById(rc.phase.verify, rc.runPlan.verify);
  if (checks.length === 0) return undefined;
  const verify = await runChecks(rc, `Verify phase ${rc.phase.id}`, checks, 'verify');
  if (rc.deps.signal.aborted) return onInterrupt(rc, 'during verify');
  if (verify.passed) return undefined;
  return failChanged(rc, 'verify', verify.blocking.map((b) => `${b.id} (${b.reason})`).join('; '), {
    checks: verify.results,
  });
}

/** 7. Done: the ledger's current phase moves; a resumed run is settled by this one. */
async function finishStage(rc: RunContext): Promise<ApplyResult> {
  const { session, deps, phase, runPlan } = rc;
  await session.ledger.update((s) => {
    s.current = phase.id;
    s.planHash = deps.plan.hash;
    s.project = deps.plan.project;
    const r = s.runs.find((x) => x.id === rc.run.id)!;
    r.status = 'succeeded';
    r.exitCode = 0;
    r.endedAt = session.now();
    if (runPlan.resume) {
      const old = s.runs.find((x) => x.id === runPlan.resume!.runId);
      if (old) old.settledBy = rc.run.id;
    }
  });
  await rewriteRunbook(rc, 'succeeded');
  const result = outcome(rc, {
    exitCode: 0,
    status: 'succeeded',
    runbook: rel(rc, rc.rbPath),
    message: `phase ${phase.id} (${phase.title}) applied in ${formatDuration(performance.now() - rc.started)}`,
  });
  await endEvent(rc, result);
  return result;
}
