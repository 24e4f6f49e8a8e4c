import {
  type CommandContext,
  parsePhaseId,
  planForRun,
  requireWorkspace,
  requireYesWithoutTerminal,
} from '../commands/context.js';
import { systemClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { runProcess } from '../core/process.js';
import { redact } from '../core/redact.js';
import { toolVersion } from '../core/version.js';
import { readLock } from '../ledger/lock.js';
import { liveHolderOf, resumableRun } from '../ledger/run-state.js';
import { readState } from '../ledger/state.js';
import type { Plan } from '../plan/types.js';
import type { Output } from '../ui/output.js';
import { confirm } from '../ui/prompt.js';
import { diskBackupStore, noRunEvents } from './definitions.js';
import { phaseOrThrow } from './order.js';
import { createStageReporter } from './reporter.js';
import { type PhaseRunPlan, planPhaseRun } from './run-plan.js';
import { type ApplyResult, executePhaseRun, type PhaseExecutorDeps } from './runner.js';
import { RunSession } from './session.js';

export type { ApplyResult } from './runner.js';

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

/** What applying needs: the executor's dependencies (less the per-run options) and the tool version. */
export interface ApplyDeps extends Omit<PhaseExecutorDeps, 'concurrency' | 'acks'> {
  toolVersion: string;
  /**
   * A saved run plan (`apply FILE`): the run plan made now under the lock must equal it, or
   * nothing happens. Called with the fresh plan; throws to refuse.
   */
  expect?: (fresh: PhaseRunPlan, plan: Plan) => void;
}

export async function applyPhaseCommand(
  ctx: CommandContext,
  idText: unknown,
  options: ApplyOptions,
  saved?: Pick<ApplyDeps, 'expect'>,
): Promise<number> {
  const id = parsePhaseId(String(idText));
  requireWorkspace(ctx);
  // A resume reuses the inputs its run was started with, unless the command line gives its own.
  const recorded = options.resume
    ? resumableRun(await readState(ctx.ws), id, liveHolderOf(await readLock(ctx.ws)))?.inputs
    : undefined;
  const plan = await planForRun(ctx, recorded);
  checkAcks(plan, id, options.ack ?? []);
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
        backups: diskBackupStore,
        ...(ctx.out.canPrompt ? { prompt: (q: string) => confirm(ctx.out, q, ctx.signal) } : {}),
        processEnv: ctx.processEnv,
        signal: ctx.signal,
        commandLine: redact(ctx.commandLine),
        events: noRunEvents,
        toolVersion: toolVersion(),
        ...(saved?.expect ? { expect: saved.expect } : {}),
      },
      ctx.ws,
      id,
      options,
      () => requireYesWithoutTerminal(ctx, options.yes, `phase ${id} changes the systems`),
    );
    await reporter.close();
    report(ctx.out, result);
    return result.exitCode;
  } finally {
    await reporter.close();
  }
}

/** An `--ack` id that no ack check of the phase has is a typo: exit 2 naming the known ones. */
export function checkAcks(plan: Plan, phaseId: number, acks: string[]): void {
  const phase = phaseOrThrow(plan, phaseId);
  const known = [...phase.checks, ...phase.verify].filter((c) => c.kind === 'ack').map((c) => c.id);
  const unknown = acks.filter((a) => !known.includes(a));
  if (unknown.length > 0)
    throw new InputError(
      `--ack ${unknown.join(', ')}: phase ${phaseId} has no ack check of that id (known: ${known.join(', ') || 'none'})`,
    );
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
 * Applies one phase (DESIGN §4): takes the lock, makes the run plan from the ledger it finds
 * (order rules, resume point, inputs), refuses or asks, then executes exactly that plan.
 */
export async function applyPhase(
  deps: ApplyDeps,
  ws: RunSession['ws'],
  id: number,
  options: ApplyOptions,
  beforeAsking: () => void = () => {},
): Promise<ApplyResult> {
  const { plan, out } = deps;
  const phase = phaseOrThrow(plan, id);
  const session = await RunSession.open(ws, deps.commandLine, deps.clock, out);
  try {
    const runPlan = planPhaseRun(ws, plan, session.state, session.lock.info, id, {
      allowDeferred: Boolean(options.allowDeferred),
      force: Boolean(options.force),
      resume: Boolean(options.resume),
      autoRollback: options.autoRollback !== false,
      toolVersion: deps.toolVersion,
    });
    // A saved plan is compared first: "what changed since" says more than the refusal it causes.
    deps.expect?.(runPlan, plan);
    if (runPlan.blockedBy.length > 0) throw new InputError(runPlan.blockedBy.map((b) => b.reason).join('\n'));
    beforeAsking();
    if (!options.yes && deps.prompt) {
      const question =
        `${runPlan.resume ? 'Resume' : 'Apply'} phase ${phase.id} (${phase.title}) on ${plan.project}? ` +
        `It backs up ${runPlan.backups.map((b) => b.system).join(', ') || (runPlan.reuseBackups.length ? 'nothing (reuses the resumed run’s backups)' : 'nothing')} and runs ${runPlan.steps.length} steps.`;
      if (!(await deps.prompt(question))) {
        return {
          exitCode: 1,
          phase: phase.id,
          status: 'declined',
          backups: [],
          message: 'declined: nothing was changed',
        };
      }
    }
    const { toolVersion: _version, expect: _expect, ...executor } = deps;
    return await executePhaseRun(
      { ...executor, concurrency: options.concurrency, acks: options.ack ?? [] },
      session,
      runPlan,
    );
  } finally {
    await session.close();
  }
}
