import { isAbsolute, join, resolve } from 'node:path';
import type { Workspace } from '../core/workspace.js';
import { type LiveHolder, resumableRun, unsettledRuns } from '../ledger/run-state.js';
import type { Run, RunInputs, State } from '../ledger/schema.js';
import { type Command, commandLine, type Plan, type Step } from '../plan/types.js';
import { diffInputs, runInputsOf } from './inputs.js';
import { checkOrder, type OrderVerdict, phaseOrThrow } from './order.js';

/**
 * Plan, then apply (issue 12 §1): one pure function decides everything a phase run will do —
 * order rules, resume point, checks, backups, every step's resolved argv/cwd/env, the undo list,
 * the rollback, the verify checks and the runbook's input. `phase --dry-run` prints it,
 * `phase` executes exactly it, `--out` saves it and `apply FILE` re-derives and compares it.
 */

/** A command as it will be executed: cwd made absolute against the workspace. */
export interface ResolvedCommand {
  kind: 'run' | 'shell';
  argv?: string[];
  script?: string;
  /** Absolute: a relative `cwd:` is taken from the workspace, and no `cwd:` is the workspace. */
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** The same as a line a person can paste. */
  commandLine: string;
}

export interface PlannedStep extends ResolvedCommand {
  id: string;
  title: string;
  undo?: ResolvedCommand;
}

export type BlockRule = 'order' | 'ledger' | 'inputs' | 'lock';

export interface PhaseRunPlan {
  kind: 'phase';
  phase: { id: number; title: string };
  /** The ledger's current phase before the run; an auto-rollback returns here. */
  from: number | null;
  order: OrderVerdict;
  /** Why the run would not start, in the order it would be stopped. Empty: it proceeds. */
  blockedBy: { rule: BlockRule; reason: string }[];
  resume?: {
    runId: string;
    /** The resumed run had passed its checklist and made and verified every backup. */
    safetyNetComplete: boolean;
    completedSteps: string[];
  };
  /** Checks run before the backups (none when a resume reuses a complete safety net). */
  checklist: string[];
  /** `backup_exists` / `rollback_plan`, confirmed against what the run made. */
  confirm: string[];
  /** Systems backed up now. */
  backups: { system: string; source: string }[];
  /** Backups of the resumed run that are re-verified and reused instead. */
  reuseBackups: string[];
  /** Steps to run now, in order (those a resumed run completed are left out). */
  steps: PlannedStep[];
  skippedSteps: string[];
  verify: string[];
  rollback: {
    to: number | null;
    auto: boolean;
    steps: PlannedStep[];
    restore: string[];
  };
  inputs: RunInputs;
  ledger: LedgerPosition;
}

/** Where the ledger stood when the plan was made; a saved plan is refused once it moved. */
export interface LedgerPosition {
  current: number | null;
  runs: number;
  lastRun: string | null;
  lastStatus: Run['status'] | null;
}

export interface PhaseRunOptions {
  allowDeferred: boolean;
  force: boolean;
  resume: boolean;
  autoRollback: boolean;
  toolVersion: string;
}

export function ledgerPosition(state: Readonly<State>): LedgerPosition {
  const last = state.runs[state.runs.length - 1];
  return {
    current: state.current,
    runs: state.runs.length,
    lastRun: last?.id ?? null,
    lastStatus: last?.status ?? null,
  };
}

export function resolveCommand(ws: Workspace, cmd: Command): ResolvedCommand {
  return {
    kind: cmd.kind,
    ...(cmd.kind === 'run' ? { argv: cmd.argv } : { script: cmd.script }),
    cwd: cmd.cwd === undefined ? ws.root : isAbsolute(cmd.cwd) ? cmd.cwd : resolve(ws.root, cmd.cwd),
    env: cmd.env,
    timeoutMs: cmd.timeoutMs,
    commandLine: commandLine(cmd),
  };
}

export function planStep(ws: Workspace, step: Step): PlannedStep {
  return {
    id: step.id,
    title: step.title,
    ...resolveCommand(ws, step),
    ...(step.undo ? { undo: resolveCommand(ws, step.undo) } : {}),
  };
}

/** The ids of `backup_exists`/`rollback_plan`: confirmed once the run has made them. */
export function confirmableChecks(checks: Plan['phases'][number]['checks']): string[] {
  return checks
    .filter((c) => c.kind === 'builtin' && (c.name === 'backup_exists' || c.name === 'rollback_plan'))
    .map((c) => c.id);
}

/**
 * A resumed run's safety net is complete when it passed its checklist and made and verified a
 * backup of every system the phase backs up. Older ledgers lack the flag: there a step record
 * proves it, since steps only ever started after the safety net was in place.
 */
export function safetyNetComplete(run: Run, systems: string[]): boolean {
  if (run.safetyNet !== undefined) return run.safetyNet;
  const backedUp = new Set(
    run.steps.filter((s) => s.stage === 'backup' && s.status === 'succeeded').map((s) => s.id),
  );
  const stepStarted = run.steps.some((s) => s.stage === 'step');
  return (
    stepStarted && systems.every((s) => backedUp.has(s) || run.backups.some((b) => b.startsWith(`${s}_`)))
  );
}

export function planPhaseRun(
  ws: Workspace,
  plan: Plan,
  state: Readonly<State>,
  live: LiveHolder,
  phaseId: number,
  opts: PhaseRunOptions,
): PhaseRunPlan {
  const phase = phaseOrThrow(plan, phaseId);
  const blockedBy: PhaseRunPlan['blockedBy'] = [];
  const inputs = runInputsOf(plan, {
    force: opts.force,
    allowDeferred: opts.allowDeferred,
    toolVersion: opts.toolVersion,
  });

  let order: OrderVerdict = { ok: true };
  let resumed: Run | undefined;
  const unsettled = unsettledRuns(state, live);
  if (opts.resume) {
    resumed = resumableRun(state, phaseId, live);
    if (!resumed) {
      order = {
        ok: false,
        rule: 'nothing-to-resume',
        reason:
          `--resume: no interrupted or failed run of phase ${phaseId} to resume` +
          (unsettled.length
            ? ` (unsettled: ${unsettled.map((r) => `${r.kind} ${r.phase} ${r.id}`).join(', ')})`
            : `; run \`gnr-migrate phase ${phaseId}\` without --resume`),
      };
      blockedBy.push({ rule: 'order', reason: order.reason });
    } else {
      order = { ok: true, note: `resumes run ${resumed.id} of phase ${phaseId}` };
      const diff = resumed.inputs
        ? diffInputs(resumed.inputs, plan, opts.toolVersion, { planHash: true, toolVersion: true })
        : resumed.planHash && resumed.planHash !== plan.hash
          ? [`plan ${plan.file}: changed since run ${resumed.id} started`]
          : [];
      if (diff.length > 0 && !opts.force)
        blockedBy.push({
          rule: 'inputs',
          reason:
            `--resume: run ${resumed.id} was started with other inputs; resuming would run other steps than it began:\n` +
            `${diff.map((d) => `    ${d}`).join('\n')}\n  Roll it back instead (\`gnr-migrate rollback\`), or pass --force to resume anyway.`,
        });
    }
  } else {
    order = checkOrder(plan, state as State, phaseId, {
      allowDeferred: opts.allowDeferred,
      force: opts.force,
    });
    if (!order.ok) blockedBy.push({ rule: 'order', reason: order.reason });
  }
  for (const r of unsettled) {
    if (r === resumed) continue;
    blockedBy.push({
      rule: 'ledger',
      reason: `${r.kind} run ${r.id}${r.phase !== null ? ` (phase ${r.phase})` : ''} is ${r.status === 'running' ? 'interrupted' : r.status} and not settled — \`gnr-migrate rollback\`${r.kind === 'phase' ? ` or \`gnr-migrate phase ${r.phase} --resume\`` : ''}`,
    });
  }

  const netComplete = resumed ? safetyNetComplete(resumed, phase.backup) : false;
  const completed = new Set(
    (resumed?.steps ?? []).filter((s) => s.stage === 'step' && s.status === 'succeeded').map((s) => s.id),
  );
  const rerunNet = !resumed || !netComplete;
  const from = resumed ? resumed.from : state.current;

  return {
    kind: 'phase',
    phase: { id: phase.id, title: phase.title },
    from,
    order,
    blockedBy,
    ...(resumed
      ? { resume: { runId: resumed.id, safetyNetComplete: netComplete, completedSteps: [...completed] } }
      : {}),
    checklist: rerunNet ? phase.checks.map((c) => c.id) : [],
    confirm: rerunNet ? confirmableChecks(phase.checks) : [],
    backups: rerunNet
      ? phase.backup.map((name) => ({ system: name, source: plan.systems[name]?.path ?? '' }))
      : [],
    reuseBackups: rerunNet ? [] : [...(resumed?.backups ?? [])],
    steps: phase.steps.filter((s) => !completed.has(s.id)).map((s) => planStep(ws, s)),
    skippedSteps: [...completed],
    verify: phase.verify.map((c) => c.id),
    rollback: {
      to: from,
      auto: opts.autoRollback,
      steps: phase.rollback.steps.map((s) => planStep(ws, s)),
      restore: phase.rollback.restore,
    },
    inputs,
    ledger: ledgerPosition(state),
  };
}

export function logDirOf(ws: Workspace, runId: string): string {
  return join(ws.logsDir, runId);
}

/** A resolved command in the plan's own shape, for the runner and the failure record. */
export function toCommand(rc: ResolvedCommand): Command {
  const base = { cwd: rc.cwd, env: rc.env, timeoutMs: rc.timeoutMs };
  return rc.kind === 'run'
    ? { kind: 'run', argv: rc.argv ?? [], ...base }
    : { kind: 'shell', script: rc.script ?? '', ...base };
}
