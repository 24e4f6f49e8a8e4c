import { relative, resolve } from 'node:path';
import {
  askAcks,
  type ChecklistContext,
  checklistJson,
  plural,
  renderChecklistTable,
  renderJunit,
  runChecklist,
  summaryLine,
  writeJunit,
} from '../checklists/index.js';
import { lazyRunner } from '../checklists/lazy-runner.js';
import { systemClock } from '../core/clock.js';
import { InputError, InterruptedError } from '../core/errors.js';
import { currentHost } from '../core/host.js';
import { ensureFolderFor } from '../core/os-errors.js';
import { readState } from '../ledger/state.js';
import { phaseOrThrow } from '../phases/order.js';
import { nextPhaseId } from '../phases/path.js';
import type { Check } from '../plan/types.js';
import type { Output } from '../ui/output.js';
import { createProgress, drawsResults } from '../ui/progress.js';
import { confirm } from '../ui/prompt.js';
import { type CommandContext, parsePhaseId, planFor } from './context.js';

export interface CheckOptions {
  phase?: string;
  junit?: string;
  concurrency: number;
  ack: string[];
}

/**
 * `check [--phase ID]`: a phase's pre-migration checklist, read-only (default: the next phase
 * on the path). Exit 0 when no blocking check failed, 1 otherwise.
 */
export async function run(ctx: CommandContext, options: CheckOptions): Promise<number> {
  const { out, ws } = ctx;
  const plan = await planFor(ctx);
  const state = await readState(ws);
  const id = options.phase !== undefined ? parsePhaseId(options.phase) : nextPhaseId(plan, state.current);
  if (id === undefined)
    throw new InputError(
      `the path is complete (current: ${state.current}); pass --phase ID to run a phase's checklist`,
    );
  const phase = phaseOrThrow(plan, id);
  warnUnknownAcks(out, phase.checks, options.ack);
  // A report that cannot be written is bad input, found before the checks run, not after.
  if (options.junit) await ensureFolderFor(resolve(options.junit), 'the JUnit report');

  // Checks stop on SIGINT (process trees killed); the view must close before we exit.
  ctx.handleSignals();
  const checklistCtx: ChecklistContext = {
    ws,
    plan,
    phase,
    state,
    mode: 'check',
    runner: lazyRunner,
    clock: systemClock,
    processEnv: ctx.processEnv,
    signal: ctx.signal,
    acks: new Set(options.ack),
    ...(out.canPrompt ? { prompt: (q: string) => confirm(out, q, ctx.signal) } : {}),
  };
  checklistCtx.answers = await askAcks(phase.checks, checklistCtx);

  const view = createProgress(
    out,
    `Checklist of phase ${phase.id} (${phase.title}) — ${plural(phase.checks.length, 'check')}, ${options.concurrency} at a time`,
    phase.checks.map((c) => ({ id: c.id, title: c.title })),
    { table: true, concurrency: options.concurrency },
  );
  const outcome = await runChecklist(phase.checks, checklistCtx, {
    concurrency: options.concurrency,
    onStart: (c) => view.start(c.id),
    onResult: (c, r) => view.finish(c.id, r.status, r.reason),
    onOutput: (c, line) => view.output(c.id, line),
  });
  await view.close();
  if (ctx.signal.aborted) throw new InterruptedError(ctx.interruptedBy() ?? 'SIGINT');

  let junit: string | undefined;
  if (options.junit) {
    const xml = renderJunit(
      {
        name: `gnr-migrate phase ${phase.id} checklist`,
        classname: `gnr-migrate.phase-${phase.id}.checks`,
        timestamp: systemClock.now(),
        hostname: currentHost(),
      },
      outcome.results,
    );
    junit = await writeJunit(options.junit, xml);
  }

  if (out.json) {
    out.data({
      ok: outcome.passed,
      project: plan.project,
      plan: plan.file,
      current: state.current,
      ...checklistJson(phase, 'check', outcome),
      ...(junit ? { junit } : {}),
    });
  } else {
    const { c } = out;
    out.say();
    // Each check is reported once: by the live view on a terminal, else by this table.
    if (!drawsResults(out)) {
      out.say(c.bold(`Phase ${phase.id} · ${phase.title} — pre-migration checklist`));
      out.say(renderChecklistTable(outcome.results, c));
      out.say();
    }
    out.say(summaryLine(outcome, c));
    if (junit) out.say(c.dim(`JUnit report: ${relative(process.cwd(), junit) || junit}`));
  }
  return outcome.passed ? 0 : 1;
}

/** A mistyped --ack would silently answer nothing: say so (not an error: CI may pass acks for several phases). */
export function warnUnknownAcks(out: Output, checks: Check[], acks: string[]): void {
  const ackIds = checks.filter((c) => c.kind === 'ack').map((c) => c.id);
  for (const id of acks)
    if (!ackIds.includes(id))
      out.warn(
        `--ack ${id}: no ack check with that id here${ackIds.length ? ` (ack checks: ${ackIds.join(', ')})` : ''}`,
      );
}
