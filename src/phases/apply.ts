import { join, relative } from 'node:path';
import { createBackup, estimateBackup, readBackup } from '../backup/index.js';
import type { BackupInfo } from '../backup/types.js';
import { askAcks, runChecklist } from '../checklists/index.js';
import type { ChecklistContext, CheckResult } from '../checklists/types.js';
import { type CommandContext, parsePhaseId, planFor } from '../commands/context.js';
import { type Clock, formatDuration, systemClock } from '../core/clock.js';
import { InputError, InterruptedError } from '../core/errors.js';
import { operatorErrorOf } from '../core/os-errors.js';
import { type ProcessRunner, runProcess } from '../core/process.js';
import type { Run } from '../ledger/schema.js';
import { unsettledRuns } from '../ledger/state.js';
import { findPhase, type Phase, type Plan } from '../plan/types.js';
import { rollbackRun } from '../rollback/execute.js';
import { type RunbookInput, runbookPath, writeRunbook } from '../rollback/runbook.js';
import { backupTotal, startBackupMeter } from '../ui/backup-meter.js';
import { type Output, plural } from '../ui/output.js';
import { confirm } from '../ui/prompt.js';
import { type FailedStep, recordFailure, recordRollbackOutcome } from './failure.js';
import { checkOrder } from './order.js';
import { createStageReporter, type StageReporter } from './reporter.js';
import { RunSession } from './session.js';
import { runRecordedCommand } from './steps.js';

export interface ApplyOptions {
  allowDeferred?: boolean;
  force?: boolean;
  resume?: boolean;
  yes?: boolean;
  /** commander's `--no-auto-rollback` sets this false. */
  autoRollback?: boolean;
  concurrency: number;
  ack?: string[];
}

export interface ApplyDeps {
  plan: Plan;
  runner: ProcessRunner;
  clock: Clock;
  out: Output;
  reporter: StageReporter;
  processEnv: NodeJS.ProcessEnv;
  signal: AbortSignal;
  commandLine: string;
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

export async function applyPhaseCommand(
  ctx: CommandContext,
  idText: unknown,
  options: ApplyOptions,
): Promise<number> {
  const plan = await planFor(ctx);
  const id = parsePhaseId(String(idText));
  ctx.handleSignals();
  const reporter = createStageReporter(ctx.out);
  try {
    const result = await applyPhase(
      {
        plan,
        runner: runProcess,
        clock: systemClock,
        out: ctx.out,
        reporter,
        processEnv: ctx.processEnv,
        signal: ctx.signal,
        commandLine: ctx.commandLine,
      },
      ctx.ws,
      id,
      options,
    );
    await reporter.close();
    report(ctx.out, result);
    return result.exitCode;
  } finally {
    await reporter.close();
  }
}

function report(out: Output, r: ApplyResult): void {
  if (out.json) {
    out.data({ ok: r.exitCode === 0, ...r });
    return;
  }
  const { c } = out;
  out.say();
  const mark = r.exitCode === 0 ? c.green('✓') : r.exitCode === 3 ? c.red('✗✗') : c.red('✗');
  out.say(`${mark} ${r.message}`);
  if (r.runbook) out.say(`  runbook:  ${r.runbook}`);
  if (r.failure) out.say(`  failure:  ${r.failure}`);
  if (r.backups.length) out.say(`  backups:  ${r.backups.join(', ')}`);
  if (r.runId) out.say(c.dim(`  run ${r.runId} · logs in migration/logs/${r.runId}/`));
}

/**
 * Applies one phase (DESIGN §4): order rules, lock, checklist, backups, runbook, steps,
 * verify, ledger — in that order. A failing step or verify records a failure and rolls back
 * unless told not to; an interrupt records, releases the lock and leaves the decision to the
 * operator.
 */
export async function applyPhase(
  deps: ApplyDeps,
  ws: RunSession['ws'],
  id: number,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const { plan, out } = deps;
  const phase = findPhase(plan, id);
  if (!phase) {
    throw new InputError(
      `phase ${id} is not in the plan (phases: ${plan.phases.map((p) => p.id).join(', ')})`,
    );
  }
  const session = await RunSession.open(ws, deps.commandLine, deps.clock, out);
  try {
    return await applyLocked(deps, session, phase, options);
  } finally {
    await session.close();
  }
}

async function applyLocked(
  deps: ApplyDeps,
  session: RunSession,
  phase: Phase,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const { plan, out, reporter } = deps;
  const ws = session.ws;
  const state = session.state;
  const unsettled = unsettledRuns(state, session.lock.info);

  // Resume: the unsettled run of this phase; otherwise nothing may be unsettled.
  let resumed: Run | undefined;
  if (options.resume) {
    resumed = [...unsettled].reverse().find((r) => r.kind === 'phase' && r.phase === phase.id);
    if (!resumed) {
      throw new InputError(
        `--resume: no interrupted or failed run of phase ${phase.id} to resume${unsettled.length ? ` (unsettled: ${unsettled.map((r) => `${r.kind} ${r.phase} ${r.id}`).join(', ')})` : ''}`,
      );
    }
  } else if (unsettled.length > 0) {
    const u = unsettled[unsettled.length - 1]!;
    throw new InputError(
      `run ${u.id} (${u.kind} of phase ${u.phase}) is ${u.status} and not settled. Settle it first: ` +
        `\`gnr-migrate rollback\`${u.kind === 'phase' ? ` or \`gnr-migrate phase ${u.phase} --resume\`` : ''}.`,
    );
  } else {
    const order = checkOrder(plan, state, phase.id, {
      allowDeferred: Boolean(options.allowDeferred),
      force: Boolean(options.force),
    });
    if (!order.ok) throw new InputError(order.reason);
  }

  if (!options.yes && out.canPrompt) {
    const question =
      `${resumed ? 'Resume' : 'Apply'} phase ${phase.id} (${phase.title}) on ${plan.project}? ` +
      `It backs up ${phase.backup.join(', ') || 'nothing'} and runs ${phase.steps.length} steps.`;
    if (!(await confirm(out, question))) {
      return {
        exitCode: 1,
        phase: phase.id,
        status: 'declined',
        backups: [],
        message: 'declined: nothing was changed',
      };
    }
  }

  const run = await session.startRun({
    kind: 'phase',
    phase: phase.id,
    from: state.current,
    to: phase.id,
    command: deps.commandLine,
    planHash: plan.hash,
    ...(resumed ? { resumes: resumed.id } : {}),
  });
  const runId = run.id;
  const logDir = join(ws.logsDir, runId);
  const rel = (p: string) => relative(ws.root, p) || p;
  const backups: BackupInfo[] = [];
  const rbPath = runbookPath(ws, phase.id);
  const acks = new Set(options.ack ?? []);
  const started = performance.now();
  const rewriteRunbook = (status: RunbookInput['status']) =>
    writeRunbook({
      ws,
      plan,
      phase,
      runId,
      status,
      backups,
      steps: session.ledger.run(runId)?.steps ?? [],
      at: deps.clock.now(),
    });
  /** A result of this run; `runbook` is named only once the runbook has been written. */
  const outcome = (fields: Omit<ApplyResult, 'phase' | 'runId' | 'backups'>): ApplyResult => ({
    phase: phase.id,
    runId,
    backups: backups.map((b) => b.id),
    ...fields,
  });

  const checklistCtx = (mode: ChecklistContext['mode']): ChecklistContext => ({
    ws,
    plan,
    phase,
    state: session.state,
    mode,
    runner: deps.runner,
    clock: deps.clock,
    processEnv: deps.processEnv,
    signal: deps.signal,
    logDir,
    acks,
    ...(out.canPrompt ? { prompt: (q: string) => confirm(out, q) } : {}),
    runBackups: backups.map((b) => b.id),
    runbookPath: rbPath,
  });
  const runChecks = async (title: string, checks: Phase['checks'], mode: ChecklistContext['mode']) => {
    // Asked before the live view draws: a prompt under listr2 would garble the terminal.
    const ctx = checklistCtx(mode);
    ctx.answers = await askAcks(checks, ctx);
    reporter.stage(
      title,
      checks.map((c) => ({ id: c.id, title: c.title })),
      { concurrency: options.concurrency },
    );
    const outcome = await runChecklist(checks, ctx, {
      concurrency: options.concurrency,
      onStart: (c) => reporter.start(c.id, c.title),
      onResult: (c, r) => reporter.end(c.id, r.status, r.reason),
      onOutput: (c, line) => reporter.output(c.id, line),
    });
    const answered = outcome.results.filter((r) => r.ack);
    if (answered.length > 0) {
      await session.updateRun(runId, (r) => {
        for (const a of answered) {
          const check = checks.find((c) => c.id === a.id);
          r.acks.push({ check: a.id, question: check?.kind === 'ack' ? check.question : a.title, ...a.ack! });
        }
      });
    }
    return outcome;
  };
  const interruptedBy = () => {
    const reason = deps.signal.aborted ? (deps.signal.reason as Error | undefined)?.message : undefined;
    return reason === 'SIGINT' || reason === 'SIGTERM' ? reason : deps.signal.aborted ? 'SIGINT' : undefined;
  };
  const onInterrupt = async (where: string, step?: FailedStep): Promise<never> => {
    const sig = interruptedBy() ?? 'SIGINT';
    await session.endRun(runId, { status: 'interrupted', exitCode: sig === 'SIGINT' ? 130 : 143 });
    const record = await recordFailure(session, {
      plan,
      phase,
      kind: 'interrupted',
      reason: `interrupted by ${sig} ${where}`,
      runId,
      ...(step ? { step } : {}),
      backups,
      runbook: rbPath,
    });
    await reporter.close();
    out.say(
      out.c.yellow(
        `Interrupted by ${sig} ${where}. Nothing was rolled back. Failure recorded: ${rel(join(ws.failuresDir, `${record.id}.json`))}\n` +
          `Decide: \`gnr-migrate rollback\` to undo, or \`gnr-migrate phase ${phase.id} --resume\` to go on. Runbook: ${rel(rbPath)}`,
      ),
    );
    throw new InterruptedError(sig);
  };
  const fail = async (
    kind: 'checklist' | 'step' | 'verify',
    reason: string,
    extra: { step?: FailedStep; checks?: CheckResult[] },
  ) => {
    const record = await recordFailure(session, {
      plan,
      phase,
      kind,
      reason,
      runId,
      backups,
      runbook: rbPath,
      ...extra,
    });
    const failureRel = rel(join(ws.failuresDir, `${record.id}.json`));
    const changed = kind !== 'checklist';
    if (!changed) {
      await session.endRun(runId, { status: 'failed', exitCode: 1, settledBy: runId });
      return outcome({
        exitCode: 1,
        status: 'failed',
        failure: failureRel,
        message: `phase ${phase.id} blocked by its checklist: ${reason}. Nothing was changed.`,
      });
    }
    if (options.autoRollback === false) {
      await session.endRun(runId, { status: 'failed', exitCode: 1 });
      await rewriteRunbook('failed');
      return outcome({
        exitCode: 1,
        status: 'failed',
        runbook: rel(rbPath),
        failure: failureRel,
        message: `phase ${phase.id} failed (${reason}); not rolled back (--no-auto-rollback). Roll back with \`gnr-migrate rollback\` or by the runbook.`,
      });
    }
    await session.endRun(runId, { status: 'failed', exitCode: 1 });
    reporter.note(
      out.c.yellow(`Phase ${phase.id} failed: ${reason}. Rolling back to ${run.from ?? 'the start'}…`),
    );
    const result = await rollbackRun(
      {
        session,
        plan,
        runner: deps.runner,
        processEnv: deps.processEnv,
        signal: deps.signal,
        reporter,
        concurrency: options.concurrency,
      },
      { phase, source: session.ledger.run(runId)!, target: run.from, reason: `auto-rollback: ${reason}` },
    );
    await recordRollbackOutcome(session, record, result.outcome);
    await rewriteRunbook(result.ok ? 'rolled back' : 'failed');
    return outcome({
      exitCode: result.ok ? 1 : 3,
      status: result.ok ? ('rolled-back' as const) : ('failed' as const),
      runbook: rel(rbPath),
      failure: failureRel,
      rollback: {
        runId: result.runId,
        outcome: result.outcome.outcome,
        ...(result.problem ? { problem: result.problem } : {}),
      },
      message: result.ok
        ? `phase ${phase.id} failed (${reason}) and was rolled back to ${run.from ?? 'the start'}`
        : `phase ${phase.id} failed (${reason}) and its ROLLBACK FAILED — a person must look:\n${result.problem}\n  Follow the runbook: ${rel(rbPath)}`,
    });
  };

  // 1. Checklist (not on resume: the systems are mid-change and the original run passed it).
  if (!resumed) {
    const checklist = await runChecks(`Checklist of phase ${phase.id}`, phase.checks, 'apply');
    if (deps.signal.aborted) return onInterrupt('during the checklist');
    if (!checklist.passed) {
      const names = checklist.blocking.map((b) => `${b.id} (${b.reason})`).join('; ');
      return fail('checklist', names, { checks: checklist.results });
    }
  }

  // 2. Backups (a resumed run keeps the backups of the run it resumes).
  if (resumed) {
    for (const id of resumed.backups) backups.push(await readBackup(ws, id));
    await session.updateRun(runId, (r) => {
      r.backups = [...resumed.backups];
      for (const s of resumed.steps)
        if (s.stage === 'step' && s.status === 'succeeded')
          r.steps.push({ ...s, message: `completed in run ${resumed.id}` });
    });
  } else if (phase.backup.length > 0) {
    reporter.stage(
      'Backups',
      phase.backup.map((name) => ({ id: `backup-${name}`, title: `back up ${name}` })),
    );
    for (const name of phase.backup) {
      const system = plan.systems[name]!;
      reporter.start(`backup-${name}`, `back up ${name}`);
      const index = await session.stepStarted(runId, { id: name, stage: 'backup' });
      // Files, bytes, rate and ETA while it runs (ui/backup-meter.ts).
      const meter = startBackupMeter({
        total: () => estimateBackup(ws, system).then(backupTotal),
        report: (m) => reporter.progress(`backup-${name}`, m.line, { ...m }),
        everyMs: out.interactive ? 1000 : 10_000,
      });
      try {
        const info = await createBackup({
          ws,
          system,
          phase: phase.id,
          runId,
          clock: deps.clock,
          signal: deps.signal,
        }).finally(() => meter.stop());
        backups.push(info);
        await session.updateRun(runId, (r) => {
          r.backups.push(info.id);
        });
        await session.stepEnded(runId, index, { status: 'succeeded', message: info.id });
        reporter.end(`backup-${name}`, 'pass', `${info.id} · ${plural(info.files, 'file')}`);
      } catch (err) {
        if (deps.signal.aborted) {
          await session.stepEnded(runId, index, { status: 'interrupted' });
          return onInterrupt(`while backing up ${name}`);
        }
        // A fault of the machine (backups/ a file, read-only, full) says its path and remedy.
        const why = (operatorErrorOf(err) ?? (err as Error)).message;
        await session.stepEnded(runId, index, { status: 'failed', message: why });
        reporter.end(`backup-${name}`, 'fail', why);
        // Nothing on the systems has changed yet: fail like a checklist, no rollback needed.
        const record = await recordFailure(session, {
          plan,
          phase,
          kind: 'checklist',
          reason: `backup of ${name} failed: ${why}`,
          runId,
          backups,
          runbook: rbPath,
        });
        await session.endRun(runId, { status: 'failed', exitCode: 1, settledBy: runId });
        return outcome({
          exitCode: 1,
          status: 'failed',
          failure: rel(join(ws.failuresDir, `${record.id}.json`)),
          message: `phase ${phase.id} stopped: the backup of ${name} failed (${why}). Nothing was changed.`,
        });
      }
    }
  }

  // 3. The runbook, before any step runs.
  await rewriteRunbook('in progress');

  // 4. backup_exists / rollback_plan, confirmed against what this run just made.
  if (!resumed) {
    const confirmable = phase.checks.filter(
      (c) => c.kind === 'builtin' && (c.name === 'backup_exists' || c.name === 'rollback_plan'),
    );
    if (confirmable.length > 0) {
      const confirmed = await runChecks('Backups and runbook in place', confirmable, 'confirm');
      if (!confirmed.passed) {
        return fail('checklist', confirmed.blocking.map((b) => `${b.id} (${b.reason})`).join('; '), {
          checks: confirmed.results,
        });
      }
    }
  }

  // 5. Steps.
  const done = new Set(
    (session.ledger.run(runId)?.steps ?? [])
      .filter((s) => s.stage === 'step' && s.status === 'succeeded')
      .map((s) => s.id),
  );
  const todo = phase.steps.filter((s) => !done.has(s.id));
  if (todo.length > 0) {
    reporter.stage(
      `Steps of phase ${phase.id}`,
      todo.map((s) => ({ id: s.id, title: s.title })),
    );
    for (const step of todo) {
      reporter.start(step.id, step.title);
      const r = await runRecordedCommand(
        {
          session,
          runId,
          runner: deps.runner,
          logDir,
          signal: deps.signal,
          onLine: (l) => reporter.output(step.id, l),
        },
        { id: step.id, stage: 'step', command: step },
      );
      reporter.end(step.id, r.ok ? 'pass' : r.status === 'timed-out' ? 'timeout' : 'fail', r.message);
      const failed: FailedStep = {
        id: step.id,
        stage: 'step',
        command: step,
        result: r.result,
        log: r.log,
        message: r.message,
      };
      if (r.status === 'interrupted' || deps.signal.aborted)
        return onInterrupt(`during step ${step.id}`, failed);
      if (!r.ok) return fail('step', `step ${step.id}: ${r.message}`, { step: failed });
    }
  }

  // 6. Verify.
  if (phase.verify.length > 0) {
    const verify = await runChecks(`Verify phase ${phase.id}`, phase.verify, 'verify');
    if (deps.signal.aborted) return onInterrupt('during verify');
    if (!verify.passed) {
      return fail('verify', verify.blocking.map((b) => `${b.id} (${b.reason})`).join('; '), {
        checks: verify.results,
      });
    }
  }

  // 7. Done: the ledger's current phase moves.
  await session.ledger.update((s) => {
    s.current = phase.id;
    s.planHash = plan.hash;
    s.project = plan.project;
    const r = s.runs.find((x) => x.id === runId)!;
    r.status = 'succeeded';
    r.exitCode = 0;
    r.endedAt = session.now();
    if (resumed) {
      const old = s.runs.find((x) => x.id === resumed.id);
      if (old) old.settledBy = runId;
    }
  });
  await rewriteRunbook('succeeded');
  return outcome({
    exitCode: 0,
    status: 'succeeded',
    runbook: rel(rbPath),
    message: `phase ${phase.id} (${phase.title}) applied in ${formatDuration(performance.now() - started)}`,
  });
}
