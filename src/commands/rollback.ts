import { join, relative } from 'node:path';
import { readBackup, verifyBackup } from '../backup/index.js';
import type { BackupInfo } from '../backup/types.js';
import { systemClock } from '../core/clock.js';
import { ExitCode, NeedsPersonError } from '../core/errors.js';
import { runProcess } from '../core/process.js';
import { holderState, readLock } from '../ledger/lock.js';
import { readState } from '../ledger/state.js';
import { announceRunEnd, notificationWarnings } from '../notify/run-end.js';
import { recordFailure, recordRollbackOutcome, recordSettledBy } from '../phases/failure.js';
import { createStageReporter } from '../phases/reporter.js';
import { RunSession } from '../phases/session.js';
import { findPhase } from '../plan/types.js';
import { rollbackRun } from '../rollback/execute.js';
import { planRollback, type RollbackItem } from '../rollback/plan.js';
import { runbookPath, shellLine, writeRunbook } from '../rollback/runbook.js';
import { confirm } from '../ui/prompt.js';
import { type CommandContext, parsePhaseId, planFor } from './context.js';

interface RollbackOptions {
  to?: string;
  dryRun?: boolean;
  reason?: string;
  yes?: boolean;
}

export async function run(ctx: CommandContext, options: RollbackOptions): Promise<number> {
  const plan = await planFor(ctx);
  const to = options.to === undefined ? undefined : parsePhaseId(options.to, '--to');
  if (options.dryRun) return dryRun(ctx, plan, to);

  ctx.handleSignals();
  const { out, ws } = ctx;
  const reason = options.reason ?? 'manual rollback';
  const session = await RunSession.open(ws, ctx.commandLine, systemClock, out);
  const reporter = createStageReporter(out);
  const done: { phase: number; runId: string; failure: string }[] = [];
  const warnings: string[] = [];
  try {
    const items = planRollback(plan, session.state, session.lock.info, to);
    if (!options.yes && out.canPrompt) {
      const what = items.map((i) => `phase ${i.phase.id} → ${i.target ?? 'start'}`).join(', ');
      if (!(await confirm(out, `Roll back ${what} on ${plan.project}?`))) {
        out.say('declined: nothing was changed');
        return ExitCode.failed;
      }
    }
    for (const item of items) {
      reporter.note(
        out.c.bold(
          `Rolling back phase ${item.phase.id} (${item.phase.title}) to ${item.target ?? 'the start'}`,
        ),
      );
      const backups = await backupsOf(ctx, item);
      const result = await rollbackRun(
        {
          session,
          plan,
          runner: runProcess,
          processEnv: ctx.processEnv,
          signal: ctx.signal,
          reporter,
          concurrency: 4,
        },
        { phase: item.phase, source: item.source, target: item.target, reason },
      );
      const record = await recordFailure(session, {
        plan,
        phase: item.phase,
        kind: 'rollback',
        reason,
        runId: result.runId,
        backups,
        runbook: runbookPath(ws, item.phase.id),
      });
      await recordRollbackOutcome(session, record, result.outcome);
      await recordSettledBy(session, item.source, result.outcome);
      await writeRunbook({
        ws,
        plan,
        phase: item.phase,
        runId: item.source.id,
        status: result.ok ? 'rolled back' : 'failed',
        backups,
        steps: item.source.steps,
        at: systemClock.now(),
      });
      const failureRel = relative(ws.root, join(ws.failuresDir, `${record.id}.json`));
      // The run's record is final: tell whoever the plan's `notify:` names (never fails the run).
      const sent = await announceRunEnd(
        {
          plan,
          ws,
          processEnv: ctx.processEnv,
          record: (runId, records) =>
            session.updateRun(runId, (r) => {
              r.notifications = [...(r.notifications ?? []), ...records];
            }),
        },
        {
          kind: 'rollback',
          phase: item.phase.id,
          runId: result.runId,
          exitCode: result.ok ? 0 : ExitCode.needsPerson,
          status: result.ok ? 'succeeded' : 'failed',
          message: result.ok
            ? `phase ${item.phase.id} rolled back to ${item.target ?? 'the start'}`
            : `the rollback of phase ${item.phase.id} failed: ${result.problem ?? ''}`,
          failure: failureRel,
          rollback: { outcome: result.outcome.outcome, runId: result.runId },
        },
      );
      warnings.push(...notificationWarnings(sent));
      if (!result.ok) {
        await reporter.close();
        for (const w of warnings) out.warn(w);
        throw new NeedsPersonError(
          `the rollback of phase ${item.phase.id} failed — a person must look:\n${result.problem}\n` +
            `  runbook: ${relative(ws.root, runbookPath(ws, item.phase.id))}\n  failure record: ${failureRel}`,
        );
      }
      done.push({ phase: item.phase.id, runId: result.runId, failure: failureRel });
    }
    await reporter.close();
    for (const w of warnings) out.warn(w);
    const current = session.state.current;
    if (out.json) out.data({ ok: true, current, rolledBack: done });
    else
      out.say(
        `${out.c.green('✓')} rolled back ${done.map((d) => d.phase).join(' → ')}; current phase: ${current ?? 'none'}`,
      );
    return ExitCode.ok;
  } finally {
    await reporter.close();
    await session.close();
  }
}

async function backupsOf(ctx: CommandContext, item: RollbackItem): Promise<BackupInfo[]> {
  const infos: BackupInfo[] = [];
  for (const id of item.source.backups) {
    const info = await readBackup(ctx.ws, id).catch(() => undefined);
    if (info) infos.push(info);
  }
  return infos;
}

/** The exact rollback plan; writes nothing. Exit 3 when a backup it needs is damaged. */
async function dryRun(
  ctx: CommandContext,
  plan: Awaited<ReturnType<typeof planFor>>,
  to: number | undefined,
): Promise<number> {
  const { out, ws } = ctx;
  const state = await readState(ws);
  const lock = await readLock(ws);
  const live = lock?.info && holderState(lock.info) === 'alive' ? lock.info : undefined;
  const items = planRollback(plan, state, live, to);
  const doc = [];
  let damaged = false;
  for (const item of items) {
    const completed = item.source.steps
      .filter((s) => s.stage === 'step' && s.status === 'succeeded')
      .map((s) => s.id);
    const undo = [...item.phase.steps].reverse().filter((s) => s.undo && completed.includes(s.id));
    const restores = [];
    for (const id of item.source.backups) {
      const info = await readBackup(ws, id).catch(() => undefined);
      if (!info) {
        restores.push({ id, system: null, verified: false, problems: ['missing'] });
        damaged = true;
        continue;
      }
      if (!item.phase.rollback.restore.includes(info.system)) continue;
      const report = await verifyBackup(ws, id, { deep: true });
      if (!report.ok) damaged = true;
      restores.push({
        id,
        system: info.system,
        target: info.source,
        verified: report.ok,
        problems: report.problems.map((p) => `${p.kind} ${p.path}`),
      });
    }
    const target = item.target === null ? undefined : findPhase(plan, item.target);
    doc.push({
      phase: item.phase.id,
      title: item.phase.title,
      to: item.target,
      why: item.why,
      source: item.source.id,
      snapshot: item.phase.backup,
      undo: undo.map((s) => ({ step: s.id, command: shellLine(s.undo!) })),
      rollbackSteps: item.phase.rollback.steps.map((s) => ({ step: s.id, command: shellLine(s) })),
      restore: restores,
      verify: (target?.verify ?? []).map((c) => ({ id: c.id, kind: c.kind, title: c.title })),
      runbook: relative(ws.root, runbookPath(ws, item.phase.id)),
    });
  }
  if (out.json) {
    out.data({ ok: !damaged, dryRun: true, current: state.current, items: doc });
  } else {
    const { c } = out;
    out.say(
      c.bold(`Rollback plan (dry run — nothing will be changed) · current phase ${state.current ?? 'none'}`),
    );
    for (const d of doc) {
      out.say();
      out.say(c.bold(`phase ${d.phase} (${d.title}) → ${d.to ?? 'the start'}`) + c.dim(`  ${d.why}`));
      out.say(`  1. snapshot: ${d.snapshot.join(', ') || '(nothing)'}`);
      out.say(`  2. undo, newest first:${d.undo.length ? '' : ' (none)'}`);
      for (const u of d.undo) out.say(`       ${c.cyan(u.command)}`);
      out.say(`  3. rollback steps:${d.rollbackSteps.length ? '' : ' (none)'}`);
      for (const r of d.rollbackSteps) out.say(`       ${c.cyan(r.command)}`);
      out.say(`  4. restore:${d.restore.length ? '' : ' (nothing)'}`);
      for (const r of d.restore) {
        out.say(
          `       ${r.verified ? c.green('✓') : c.red('✗')} ${r.id} → ${'target' in r ? r.target : '?'}${r.verified ? ' (verified)' : c.red(` DAMAGED: ${r.problems.slice(0, 3).join('; ')}`)}`,
        );
      }
      out.say(`  5. verify: ${d.verify.map((v) => v.id).join(', ') || '(none)'}`);
      out.say(c.dim(`     runbook: ${d.runbook}`));
    }
    if (damaged)
      out.error(
        'a backup this rollback needs is missing or damaged: the rollback would stop before changing anything. Follow the runbook.',
      );
  }
  return damaged ? ExitCode.needsPerson : ExitCode.ok;
}
