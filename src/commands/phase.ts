import { plural } from '../checklists/index.js';
import { lazyRunner } from '../checklists/lazy-runner.js';
import { systemClock } from '../core/clock.js';
import { InputError, InterruptedError } from '../core/errors.js';
import { redactDeep } from '../core/redact.js';
import { readLock } from '../ledger/lock.js';
import { liveHolderOf, resumableRun } from '../ledger/run-state.js';
import { readState } from '../ledger/state.js';
import type { ApplyOptions } from '../phases/apply.js';
import { dryRunPhase } from '../phases/dry-run.js';
import { renderDryRun } from '../phases/dry-run-report.js';
import { phaseOrThrow } from '../phases/order.js';
import { createProgress } from '../ui/progress.js';
import { type CommandContext, parsePhaseId, planForRun, savedInputsOf } from './context.js';

/** `phase`'s options: those of applying a phase, and `--dry-run`. */
export interface PhaseCommandOptions extends ApplyOptions {
  dryRun?: boolean;
  ack: string[];
  /** `--dry-run --out FILE`: save the run plan for `gnr-migrate apply FILE`. */
  out?: string;
}

/** `phase <id> [--dry-run]`: the dry-run lives here; applying is `phases/apply.ts`. */
export async function run(
  ctx: CommandContext,
  idText: string,
  options: PhaseCommandOptions,
): Promise<number> {
  if (options.out && !options.dryRun)
    throw new InputError('--out FILE saves a run plan: use it with --dry-run, then `gnr-migrate apply FILE`');
  if (!options.dryRun) {
    const { applyPhaseCommand } = await import('../phases/apply.js');
    return applyPhaseCommand(ctx, idText, options);
  }
  const { out, ws } = ctx;
  const id = parsePhaseId(idText);
  const state = await readState(ws);
  const recorded = options.resume
    ? resumableRun(state, id, liveHolderOf(await readLock(ws)))?.inputs
    : undefined;
  const plan = await planForRun(ctx, recorded);
  const { checkAcks } = await import('../phases/apply.js');
  checkAcks(plan, id, options.ack ?? []);
  const phase = phaseOrThrow(plan, id);

  // Checks stop on SIGINT (process trees killed); the view must close before we exit.
  ctx.handleSignals();
  const view = createProgress(
    out,
    `Dry run of phase ${phase.id}: checklist (${plural(phase.checks.length, 'check')}, ${options.concurrency} at a time)`,
    phase.checks.map((c) => ({ id: c.id, title: c.title })),
  );
  const report = await dryRunPhase(
    id,
    {
      allowDeferred: Boolean(options.allowDeferred),
      force: Boolean(options.force),
      resume: Boolean(options.resume),
      autoRollback: options.autoRollback !== false,
      concurrency: options.concurrency,
      acks: options.ack ?? [],
    },
    {
      ws,
      plan,
      state,
      runner: lazyRunner,
      clock: systemClock,
      processEnv: ctx.processEnv,
      signal: ctx.signal,
      listeners: {
        onStart: (c) => view.start(c.id),
        onResult: (c, r) => view.finish(c.id, r.status, r.reason),
        onOutput: (c, line) => view.output(c.id, line),
      },
    },
  ).finally(() => view.close());
  if (ctx.signal.aborted) throw new InterruptedError(ctx.interruptedBy() ?? 'SIGINT');

  if (options.out) {
    const { writeSavedPlan } = await import('../phases/saved-plan.js');
    await writeSavedPlan(options.out, report.runPlan, ctx, {
      command: 'phase',
      phase: id,
      options: {
        allowDeferred: Boolean(options.allowDeferred),
        force: Boolean(options.force),
        resume: Boolean(options.resume),
        autoRollback: options.autoRollback !== false,
        acks: options.ack ?? [],
        snapshot: true,
      },
      ...savedInputsOf(ctx, plan.hash),
      secretHashes: report.runPlan.inputs.secretHashes,
    });
  }
  // Secret vars are shown as *** here too: a dry-run's output ends up in CI logs.
  const shown = redactDeep(report);
  if (out.json) out.data(options.out ? { ...shown, savedTo: options.out } : shown);
  else {
    renderDryRun(out, shown, ws.root);
    if (options.out)
      out.say(
        report.wouldProceed
          ? `Saved the run plan to ${options.out}; apply exactly it with \`gnr-migrate apply ${options.out}\`.`
          : `Saved the run plan to ${options.out}, but it is blocked: \`apply\` will refuse it until the blockers are gone.`,
      );
  }
  return report.wouldProceed ? 0 : 1;
}
