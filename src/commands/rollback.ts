import { join, relative } from 'node:path';
import type { BackupInfo } from '../backup/types.js';
import { systemClock } from '../core/clock.js';
import { ExitCode, InputError, NeedsPersonError } from '../core/errors.js';
import { runProcess } from '../core/process.js';
import { redact } from '../core/redact.js';
import { toolVersion } from '../core/version.js';
import { readLock } from '../ledger/lock.js';
import { type LiveHolder, liveHolderOf } from '../ledger/run-state.js';
import type { State } from '../ledger/schema.js';
import { readState } from '../ledger/state.js';
import { createRunEndNotifier } from '../notify/run-events.js';
import { type BackupStore, diskBackupStore, noRunEvents, type RunEvents } from '../phases/definitions.js';
import { recordFailure, recordRollbackOutcome, recordSettledBy } from '../phases/failure.js';
import { diffInputs, inputArgs } from '../phases/inputs.js';
import { createStageReporter } from '../phases/reporter.js';
import { ledgerPosition } from '../phases/run-plan.js';
import { RunSession } from '../phases/session.js';
import { findPhase, type Plan } from '../plan/types.js';
import { rollbackRun } from '../rollback/execute.js';
import { planRollback, type RollbackItem, restoreList, undoList } from '../rollback/plan.js';
import { runbookPath, shellLine, writeRunbook } from '../rollback/runbook.js';
import { confirm } from '../ui/prompt.js';
import {
  type CommandContext,
  givesInputs,
  parsePhaseId,
  planForRun,
  requireWorkspace,
  requireYesWithoutTerminal,
  savedInputsOf,
} from './context.js';

export interface RollbackOptions {
  to?: string;
  dryRun?: boolean;
  reason?: string;
  yes?: boolean;
  /** Roll back with inputs other than those the run was applied with. */
  force?: boolean;
  /** commander's `--no-snapshot` sets this false. */
  snapshot?: boolean;
  /** `--dry-run --out FILE`: save the rollback plan for `gnr-migrate apply FILE`. */
  out?: string;
}

/** The rollback plan (issue 12 §1): what the dry-run prints, `--out` saves and the executor runs. */
export interface RollbackRunPlan {
  kind: 'rollback';
  current: number | null;
  to: number | null | undefined;
  snapshot: boolean;
  items: {
    phase: number;
    title: string;
    to: number | null;
    why: string;
    source: string;
    snapshot: string[];
    undo: { step: string; command: string }[];
    rollbackSteps: { step: string; command: string }[];
    restore: string[];
    verify: string[];
    runbook: string;
  }[];
  inputs: ReturnType<typeof inputArgs>;
  ledger: ReturnType<typeof ledgerPosition>;
  planHash: string;
  toolVersion: string;
}

/**
 * The plan this rollback uses and the items it undoes. With no inputs on the command line, the
 * source run's recorded ones (so the undo aims where the run changed); with inputs that differ
 * from the run's, a refusal with the diff unless `--force`.
 */
export async function planRollbackRun(
  ctx: CommandContext,
  state: Readonly<State>,
  live: LiveHolder,
  to: number | undefined,
  options: Pick<RollbackOptions, 'force' | 'snapshot'>,
  given?: Plan,
): Promise<{ plan: Plan; items: RollbackItem[]; runPlan: RollbackRunPlan }> {
  let plan = given ?? (await planForRun(ctx, undefined));
  let items = planRollback(plan, state as State, live, to);
  const recorded = items[0]?.source.inputs;
  if (recorded) {
    if (!givesInputs(ctx)) {
      plan = await planForRun(ctx, recorded);
      items = planRollback(plan, state as State, live, to);
    }
    const diff = diffInputs(recorded, plan, toolVersion(), { planHash: false, toolVersion: false });
    if (diff.length > 0 && !options.force)
      throw new InputError(
        `run ${items[0]!.source.id} was applied with other inputs than this rollback would use; its undo and rollback steps would aim elsewhere than the run changed:\n` +
          `${diff.map((d) => `    ${d}`).join('\n')}\n` +
          `  Run the rollback without --var/--env (it reuses the run's), give the same values, or pass --force.`,
      );
  }
  const ws = ctx.ws;
  const runPlan: RollbackRunPlan = {
    kind: 'rollback',
    current: state.current,
    to,
    snapshot: options.snapshot !== false,
    items: items.map((item) => {
      const target = item.target === null ? undefined : findPhase(plan, item.target);
      return {
        phase: item.phase.id,
        title: item.phase.title,
        to: item.target,
        why: item.why,
        source: item.source.id,
        snapshot: options.snapshot === false ? [] : item.phase.backup,
        undo: undoList(item.phase, item.source).map((s) => ({ step: s.id, command: shellLine(s.undo!) })),
        rollbackSteps: item.phase.rollback.steps.map((s) => ({ step: s.id, command: shellLine(s) })),
        restore: restoreList(item.phase, item.source),
        verify: (target?.verify ?? []).map((c) => c.id),
        runbook: relative(ws.root, runbookPath(ws, item.phase.id)),
      };
    }),
    inputs: inputArgs(recorded),
    ledger: ledgerPosition(state),
    planHash: plan.hash,
    toolVersion: toolVersion(),
  };
  return { plan, items, runPlan };
}

export async function run(ctx: CommandContext, options: RollbackOptions): Promise<number> {
  const to = options.to === undefined ? undefined : parsePhaseId(options.to, '--to');
  if (options.dryRun) return dryRun(ctx, to, options);
  if (options.out) throw new InputError('--out FILE saves a rollback plan: use it with --dry-run');
  requireWorkspace(ctx);
  return executeRollback(ctx, to, options, { backups: diskBackupStore, events: noRunEvents });
}

/** Takes the lock, plans under it, asks, and executes the rollback plan item by item. */
export async function executeRollback(
  ctx: CommandContext,
  to: number | undefined,
  options: RollbackOptions,
  deps: { backups: BackupStore; events: RunEvents; expect?: (fresh: RollbackRunPlan, plan: Plan) => void },
): Promise<number> {
  ctx.handleSignals();
  const { out, ws } = ctx;
  const reason = options.reason ?? 'manual rollback';
  // Loaded before the lock is taken, so a secret given with --var is masked in the lock too.
  const given = await planForRun(ctx, undefined);
  const session = await RunSession.open(ws, redact(ctx.commandLine), systemClock, out);
  const reporter = createStageReporter(out);
  const done: { phase: number; runId: string; failure: string }[] = [];
  const warnings: string[] = [];
  try {
    const { plan, items, runPlan } = await planRollbackRun(
      ctx,
      session.state,
      session.lock.info,
      to,
      options,
      given,
    );
    deps.expect?.(runPlan, plan);
    requireYesWithoutTerminal(ctx, options.yes, 'rollback changes the systems');
    if (!options.yes && out.canPrompt) {
      const what = items.map((i) => `phase ${i.phase.id} → ${i.target ?? 'start'}`).join(', ');
      if (!(await confirm(out, `Roll back ${what} on ${plan.project}?`, ctx.signal))) {
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
      const backups = await backupsOf(deps.backups, ctx, item);
      const notifier = createRunEndNotifier({ plan, ws, processEnv: ctx.processEnv }, deps.events);
      const result = await rollbackRun(
        {
          session,
          plan,
          runner: runProcess,
          processEnv: ctx.processEnv,
          signal: ctx.signal,
          reporter,
          concurrency: 4,
          backups: deps.backups,
          events: notifier.events,
          snapshot: options.snapshot !== false,
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
      await writeRunbook({
        ws,
        plan,
        phase: item.phase,
        runId: item.source.id,
        status: result.ok ? 'rolled back' : 'failed',
        backups,
        steps: item.source.steps,
        at: systemClock.now(),
        rollbackTo: item.target,
        inputArgs: inputArgs(item.source.inputs),
      });
      const failureRel = relative(ws.root, join(ws.failuresDir, `${record.id}.json`));
      await recordSettledBy(session, item.source, result.outcome);
      // The run's record is final: tell whoever the plan's `notify:` names (never fails the run).
      await notifier.flush(result.runId, failureRel);
      warnings.push(...notifier.warnings());
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

async function backupsOf(store: BackupStore, ctx: CommandContext, item: RollbackItem): Promise<BackupInfo[]> {
  const infos: BackupInfo[] = [];
  for (const id of item.source.backups) {
    const info = await store.read(ctx.ws, id).catch(() => undefined);
    if (info) infos.push(info);
  }
  return infos;
}

/** The exact rollback plan; writes nothing (but `--out`). Exit 3 when a backup it needs is damaged. */
async function dryRun(
  ctx: CommandContext,
  to: number | undefined,
  options: RollbackOptions,
): Promise<number> {
  const { out, ws } = ctx;
  const state = await readState(ws);
  const live = liveHolderOf(await readLock(ws));
  const { runPlan } = await planRollbackRun(ctx, state, live, to, options);
  const { verifyBackup } = await import('../backup/index.js');
  let damaged = false;
  const checked = [];
  for (const item of runPlan.items) {
    const restores = [];
    for (const id of item.restore) {
      const report = await verifyBackup(ws, id, { deep: true }).catch((err: Error) => ({
        ok: false,
        problems: [{ kind: 'missing', path: err.message }],
      }));
      if (!report.ok) damaged = true;
      const info = await diskBackupStore.read(ws, id).catch(() => undefined);
      restores.push({
        id,
        system: info?.system ?? null,
        target: info?.source ?? '?',
        verified: report.ok,
        problems: report.problems.map((p) => `${p.kind} ${p.path}`),
      });
    }
    checked.push({ ...item, restores });
  }
  if (options.out) {
    const { writeSavedPlan } = await import('../phases/saved-plan.js');
    await writeSavedPlan(options.out, runPlan, ctx, {
      command: 'rollback',
      phase: null,
      options: {
        allowDeferred: false,
        force: Boolean(options.force),
        resume: false,
        autoRollback: true,
        acks: [],
        snapshot: options.snapshot !== false,
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
        ...(to !== undefined ? { to } : {}),
      },
      ...savedInputsOf(ctx, runPlan.planHash),
    });
  }
  if (out.json) {
    out.data({
      ok: !damaged,
      dryRun: true,
      current: state.current,
      items: checked.map((d) => ({
        ...d,
        rollbackSteps: d.rollbackSteps,
        restore: d.restores,
        verify: d.verify.map((id) => ({ id })),
      })),
      ...(options.out ? { savedTo: options.out } : {}),
    });
  } else {
    const { c } = out;
    out.say(
      c.bold(`Rollback plan (dry run — nothing will be changed) · current phase ${state.current ?? 'none'}`),
    );
    for (const d of checked) {
      out.say();
      out.say(c.bold(`phase ${d.phase} (${d.title}) → ${d.to ?? 'the start'}`) + c.dim(`  ${d.why}`));
      out.say(
        `  1. snapshot: ${runPlan.snapshot ? d.snapshot.join(', ') || '(nothing)' : c.yellow('none (--no-snapshot): this rollback cannot be undone')}`,
      );
      out.say(`  2. undo, newest first:${d.undo.length ? '' : ' (none)'}`);
      for (const u of d.undo) out.say(`       ${c.cyan(u.command)}`);
      out.say(`  3. rollback steps:${d.rollbackSteps.length ? '' : ' (none)'}`);
      for (const r of d.rollbackSteps) out.say(`       ${c.cyan(r.command)}`);
      out.say(`  4. restore:${d.restores.length ? '' : ' (nothing)'}`);
      for (const r of d.restores) {
        out.say(
          `       ${r.verified ? c.green('✓') : c.red('✗')} ${r.id} → ${r.target}${r.verified ? ' (verified)' : c.red(` DAMAGED: ${r.problems.slice(0, 3).join('; ')}`)}`,
        );
      }
      out.say(`  5. verify: ${d.verify.join(', ') || '(none)'}`);
      out.say(c.dim(`     runbook: ${d.runbook}`));
    }
    if (runPlan.inputs.length > 0) out.say(c.dim(`  inputs of the run: ${redact(runPlan.inputs.join(' '))}`));
    if (options.out) out.say(`Saved to ${options.out}; apply it with \`gnr-migrate apply ${options.out}\`.`);
    if (damaged)
      out.error(
        'a backup this rollback needs is missing or damaged: the rollback would stop before changing anything. Follow the runbook.',
      );
  }
  return damaged ? ExitCode.needsPerson : ExitCode.ok;
}
