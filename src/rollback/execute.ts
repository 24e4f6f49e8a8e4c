import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { planRestoreTarget } from '../backup/restore.js';
import type { BackupInfo } from '../backup/types.js';
import { runChecklist } from '../checklists/index.js';
import type { CheckResult } from '../checklists/types.js';
import { InterruptedError } from '../core/errors.js';
import type { ProcessRunner } from '../core/process.js';
import type { RollbackOutcome } from '../ledger/failure.js';
import type { Run } from '../ledger/schema.js';
import type { BackupStore, RunEvents } from '../phases/definitions.js';
import type { StageReporter } from '../phases/reporter.js';
import { resolveCommand, toCommand } from '../phases/run-plan.js';
import type { RunSession } from '../phases/session.js';
import { runRecordedCommand } from '../phases/steps.js';
import { findPhase, type Phase, type Plan } from '../plan/types.js';
import { plural } from '../ui/output.js';
import { undoList } from './plan.js';

export interface RollbackDeps {
  session: RunSession;
  plan: Plan;
  runner: ProcessRunner;
  processEnv: NodeJS.ProcessEnv;
  signal: AbortSignal;
  reporter: StageReporter;
  concurrency: number;
  backups: BackupStore;
  events: RunEvents;
  /**
   * Snapshot the systems before changing them (default). A snapshot that cannot be made stops
   * the rollback before anything changes (exit 3); `rollback --no-snapshot` sets this false.
   */
  snapshot: boolean;
}

export interface RollbackRequest {
  phase: Phase;
  /** The phase run whose effects are undone (its completed steps and its backups). */
  source: Run;
  /** Where the ledger's current phase ends up. */
  target: number | null;
  reason: string;
}

export interface RollbackResult {
  ok: boolean;
  runId: string;
  outcome: RollbackOutcome;
  /** Why a person is needed, when !ok. */
  problem?: string;
}

/**
 * Rolls back one phase run (DESIGN §4 `rollback`): verify the backups to restore (before
 * changing anything: a damaged backup stops here, nothing half-restored), snapshot the
 * current systems, undo the completed steps newest first, run the rollback steps, restore,
 * then run the target phase's verify checks. Every undo and rollback step runs even if an
 * earlier one failed: each reverts something of its own, and the restore still puts the files
 * back; any failure makes the outcome `failed` (exit 3).
 */
export async function rollbackRun(deps: RollbackDeps, req: RollbackRequest): Promise<RollbackResult> {
  const result = await rollbackStages(deps, req);
  const run = deps.session.ledger.run(result.runId);
  if (run && deps.events.onRunEnd) {
    try {
      await deps.events.onRunEnd({
        run,
        kind: 'rollback',
        outcome: result.outcome.outcome,
        exitCode: result.ok ? 0 : 3,
        rollbackOutcome: result.outcome,
        annotate: (mutate) => deps.session.updateRun(run.id, mutate),
      });
    } catch (err) {
      deps.reporter.note(`run-end hook failed: ${(err as Error).message}`);
    }
  }
  return result;
}

async function rollbackStages(deps: RollbackDeps, req: RollbackRequest): Promise<RollbackResult> {
  const { session, plan, reporter } = deps;
  const { phase, source } = req;
  const ws = session.ws;
  const run = await session.startRun({
    kind: 'rollback',
    phase: phase.id,
    from: session.state.current,
    to: req.target,
    command: session.lock.info.command,
    reason: req.reason,
    planHash: plan.hash,
  });
  const logDir = join(ws.logsDir, run.id);
  const outcome: RollbackOutcome = {
    attempted: true,
    outcome: 'failed',
    to: req.target,
    runId: run.id,
    reason: req.reason,
    restored: [],
    snapshots: [],
    undone: [],
    errors: [],
    verify: [],
  };
  const interrupted = () => {
    const sig = deps.signal.aborted
      ? ((deps.signal.reason as Error | undefined)?.message as 'SIGINT' | 'SIGTERM')
      : undefined;
    return sig === 'SIGINT' || sig === 'SIGTERM' ? sig : undefined;
  };
  const stopIfInterrupted = async () => {
    const sig = interrupted();
    if (!sig) return;
    await session.endRun(run.id, { status: 'interrupted' });
    throw new InterruptedError(
      sig,
      `rollback of phase ${phase.id} interrupted by ${sig}; run \`gnr-migrate rollback\` again to finish it`,
    );
  };

  // 1. The backups to restore, verified before anything changes.
  const toRestore: BackupInfo[] = [];
  reporter.stage('Verify the backups to restore');
  for (const id of source.backups) {
    const info = await deps.backups.read(ws, id).catch(() => undefined);
    if (!info) {
      outcome.errors.push(`backup ${id} recorded by run ${source.id} is missing from ${ws.backupsDir}`);
      continue;
    }
    if (phase.rollback.restore.includes(info.system)) toRestore.push(info);
  }
  for (const b of toRestore) {
    reporter.start(b.id, `verify ${b.id}`);
    const report = await deps.backups.verify(ws, b.id, { deep: true });
    if (!report.ok) {
      const first = report.problems
        .slice(0, 5)
        .map((p) => `${p.kind} ${p.path}${p.detail ? ` (${p.detail})` : ''}`);
      outcome.errors.push(
        `backup ${b.id} failed verification: ${first.join('; ')}${report.problems.length > 5 ? ` and ${report.problems.length - 5} more` : ''}`,
      );
      reporter.end(b.id, 'fail', first[0]);
    } else reporter.end(b.id, 'pass', plural(report.files, 'file'));
  }
  if (outcome.errors.length > 0) {
    outcome.outcome = 'failed';
    await session.endRun(run.id, { status: 'failed', exitCode: 3 });
    return {
      ok: false,
      runId: run.id,
      outcome,
      problem: `${outcome.errors.join('\n')}\nNothing was changed.`,
    };
  }

  // 2. Snapshot what is there now, so this rollback can itself be undone. A snapshot that
  // cannot be made (a full disk) stops here, before anything changes: the README promises a
  // rollback can be undone, and only the operator may waive that (`--no-snapshot`).
  if (deps.snapshot) {
    reporter.stage('Snapshot the current systems');
    for (const name of phase.backup) {
      const system = plan.systems[name];
      if (!system) continue;
      reporter.start(`snapshot-${name}`, `snapshot ${name}`);
      const index = await session.stepStarted(run.id, { id: name, stage: 'snapshot' });
      if (!pathExists(system.path)) {
        // A system that does not exist now has nothing to snapshot; the restore recreates it.
        await session.stepEnded(run.id, index, {
          status: 'skipped',
          message: `${system.path} does not exist`,
        });
        reporter.end(`snapshot-${name}`, 'skipped', 'nothing there');
        continue;
      }
      try {
        const snap = await deps.backups.create({
          ws,
          system,
          phase: phase.id,
          runId: run.id,
          clock: session.clock,
          signal: deps.signal,
        });
        outcome.snapshots.push(snap.id);
        await session.updateRun(run.id, (r) => {
          r.snapshots.push(snap.id);
        });
        await session.stepEnded(run.id, index, { status: 'succeeded', message: snap.id });
        reporter.end(`snapshot-${name}`, 'pass', snap.id);
      } catch (err) {
        await stopIfInterrupted();
        const message = (err as Error).message;
        await session.stepEnded(run.id, index, { status: 'failed', message });
        reporter.end(`snapshot-${name}`, 'fail', message);
        outcome.errors.push(`the snapshot of ${name} could not be made: ${message}`);
        outcome.outcome = 'failed';
        // Nothing changed: this attempt settles itself; the run it was undoing stays unsettled.
        await session.endRun(run.id, { status: 'failed', exitCode: 3, settledBy: run.id });
        return {
          ok: false,
          runId: run.id,
          outcome,
          problem:
            `the snapshot of ${name} (${system.path}) could not be made: ${message}\n` +
            'Nothing was changed. Free the space (or fix the cause) and run `gnr-migrate rollback` again, ' +
            'or roll back without a snapshot (it cannot then be undone): `gnr-migrate rollback --no-snapshot`.',
        };
      }
    }
  }
  await stopIfInterrupted();

  // 3. Undo of the completed steps, newest first; 4. the rollback steps.
  const recordDeps = {
    session,
    runId: run.id,
    runner: deps.runner,
    logDir,
    signal: deps.signal,
  };
  const undos = undoList(phase, source);
  if (undos.length > 0) reporter.stage('Undo the completed steps, newest first');
  for (const step of undos) {
    reporter.start(`undo-${step.id}`, `undo ${step.id}`);
    const r = await runRecordedCommand(
      { ...recordDeps, onLine: (l) => reporter.output(`undo-${step.id}`, l) },
      { id: step.id, stage: 'undo', command: toCommand(resolveCommand(ws, step.undo!)) },
    );
    await stopIfInterrupted();
    if (r.ok) outcome.undone.push(step.id);
    else outcome.errors.push(`undo of ${step.id} failed: ${r.message} (log ${r.log})`);
    reporter.end(`undo-${step.id}`, r.ok ? 'pass' : 'fail', r.message);
  }
  if (phase.rollback.steps.length > 0) reporter.stage('Rollback steps');
  for (const step of phase.rollback.steps) {
    reporter.start(`rollback-${step.id}`, step.title);
    const r = await runRecordedCommand(
      { ...recordDeps, onLine: (l) => reporter.output(`rollback-${step.id}`, l) },
      { id: step.id, stage: 'rollback', command: toCommand(resolveCommand(ws, step)) },
    );
    await stopIfInterrupted();
    if (!r.ok) outcome.errors.push(`rollback step ${step.id} failed: ${r.message} (log ${r.log})`);
    reporter.end(`rollback-${step.id}`, r.ok ? 'pass' : 'fail', r.message);
  }

  // 5. Restore.
  if (toRestore.length > 0) reporter.stage('Restore the backups');
  for (const b of toRestore) {
    reporter.start(`restore-${b.id}`, `restore ${b.system} from ${b.id}`);
    const index = await session.stepStarted(run.id, { id: b.id, stage: 'restore' });
    try {
      await deps.backups.restore({
        ws,
        id: b.id,
        // The plan's path of the system, never the manifest's `source` (backup/restore.ts).
        to: planRestoreTarget(plan.systems, b.system),
        snapshot: false,
        phase: phase.id,
        runId: run.id,
        clock: session.clock,
        signal: deps.signal,
      });
      outcome.restored.push(b.id);
      await session.stepEnded(run.id, index, { status: 'succeeded', message: `${b.source} restored` });
      reporter.end(`restore-${b.id}`, 'pass', b.source);
    } catch (err) {
      await session.stepEnded(run.id, index, { status: 'failed', message: (err as Error).message });
      await stopIfInterrupted();
      outcome.errors.push(`restore of ${b.id} failed: ${(err as Error).message}`);
      reporter.end(`restore-${b.id}`, 'fail', (err as Error).message);
    }
  }

  // 6. The target phase's verify checks.
  const target = req.target === null ? undefined : findPhase(plan, req.target);
  if (target && target.verify.length > 0) {
    reporter.stage(`Verify phase ${target.id}`);
    const outcomeChecks = await runChecklist(
      target.verify,
      {
        ws,
        plan,
        phase: target,
        state: session.state,
        mode: 'verify',
        runner: deps.runner,
        clock: session.clock,
        processEnv: deps.processEnv,
        signal: deps.signal,
        logDir,
        acks: new Set(),
      },
      {
        concurrency: deps.concurrency,
        onStart: (c) => reporter.start(`verify-${c.id}`, c.title),
        onResult: (c, res) => reporter.end(`verify-${c.id}`, res.status, res.reason),
      },
    );
    await stopIfInterrupted();
    outcome.verify = outcomeChecks.blocking.map(toFailingCheck);
    for (const b of outcomeChecks.blocking) outcome.errors.push(`verify ${b.id}: ${b.reason}`);
  }

  const ok = outcome.errors.length === 0;
  outcome.outcome = ok ? 'succeeded' : 'failed';
  await session.ledger.update((state) => {
    const r = state.runs.find((x) => x.id === run.id)!;
    r.status = ok ? 'succeeded' : 'failed';
    r.endedAt = session.now();
    r.exitCode = ok ? 0 : 3;
    if (ok) {
      state.current = req.target;
      const src = state.runs.find((x) => x.id === source.id);
      if (src) {
        src.settledBy = run.id;
        if (src.status !== 'rolled-back') src.status = 'rolled-back';
      }
      // Earlier failed attempts at this same rollback are settled by this one.
      for (const x of state.runs) {
        if (
          x.kind === 'rollback' &&
          x.phase === phase.id &&
          x.status === 'failed' &&
          !x.settledBy &&
          x.id !== run.id
        )
          x.settledBy = run.id;
      }
    }
  });
  return ok
    ? { ok, runId: run.id, outcome }
    : { ok, runId: run.id, outcome, problem: outcome.errors.join('\n') };
}

export function toFailingCheck(r: CheckResult) {
  return { id: r.id, kind: r.kind, status: r.status, message: r.reason, ...(r.log ? { log: r.log } : {}) };
}

function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
