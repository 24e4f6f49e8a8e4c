import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BackupInfo, SizeEstimate } from '../backup/types.js';
import { checklistJson, describeCheck, runChecklist } from '../checklists/index.js';
import { sizeOf } from '../checklists/sizes.js';
import type { ChecklistContext, ChecklistOptions } from '../checklists/types.js';
import type { Clock } from '../core/clock.js';
import type { ProcessRunner } from '../core/process.js';
import { redactDeep } from '../core/redact.js';
import { toolVersion } from '../core/version.js';
import type { Workspace } from '../core/workspace.js';
import { describeHolder, holderState, readLock } from '../ledger/lock.js';
import { liveHolderOf, unsettledRuns, unsettledRunView } from '../ledger/run-state.js';
import type { State } from '../ledger/schema.js';
import type { Plan } from '../plan/types.js';
import { inputArgs } from './inputs.js';
import { type OrderVerdict, phaseOrThrow } from './order.js';
import { type PhaseRunPlan, type PlannedStep, planPhaseRun, type ResolvedCommand } from './run-plan.js';

/**
 * `phase <id> --dry-run` (DESIGN §4): everything the run would do, decided for real where it
 * can be without changing anything — order rules, lock and ledger, the checklist (read-only by
 * contract, so it runs), backup sizes, the runbook, every step's exact argv — and nothing
 * written: no ledger, lock, backup, runbook, log, not even a folder.
 */

export interface DryRunOptions {
  allowDeferred: boolean;
  force: boolean;
  resume: boolean;
  autoRollback?: boolean;
  concurrency: number;
  acks: string[];
}

export interface DryRunDeps {
  ws: Workspace;
  plan: Plan;
  state: State;
  runner: ProcessRunner;
  clock: Clock;
  processEnv: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Progress of the checklist, and command output (a dry-run shows it, never logs it). */
  listeners?: Pick<ChecklistOptions, 'onStart' | 'onResult' | 'onOutput'>;
}

export interface CommandView {
  kind: 'run' | 'shell';
  /** Exactly what would be executed: argv as passed to the program, after interpolation. */
  argv?: string[];
  script?: string;
  /** The same, as a line a person can paste into a shell. */
  commandLine: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
}

export interface StepView extends CommandView {
  id: string;
  title: string;
  undo?: CommandView;
}

export type BackupPlan = SizeEstimate | { system: string; source: string; error: string };

export interface DryRunReport {
  dryRun: true;
  project: string;
  plan: string;
  planIsDefault: boolean;
  phase: {
    id: number;
    title: string;
    summary?: string;
    deferred: boolean;
    gnrdaemon?: string;
    pages?: string;
    criteria: string[];
  };
  current: number | null;
  wouldProceed: boolean;
  /** One line per reason the phase would not start, in the order they would stop it. */
  blockedBy: string[];
  order: OrderVerdict;
  workspace: {
    lock: { holder: string; state: string } | null;
    interrupted: { id: string; kind: string; phase: number | null; startedAt: string }[];
  };
  checklist: ReturnType<typeof checklistJson>;
  backups: BackupPlan[];
  runbook: { path: string; exists: boolean; preview?: string };
  steps: StepView[];
  /** With --resume: the run resumed and what of it is reused. */
  resume?: { runId: string; safetyNetComplete: boolean; skippedSteps: string[]; reuseBackups: string[] };
  rollback: { to: number | null; steps: StepView[]; restore: string[]; notes?: string };
  verify: { id: string; title: string; kind: string; severity: string; what: string }[];
  /** The run plan itself: what `phase` would execute, and what `--out` saves. */
  runPlan: PhaseRunPlan;
}

export async function dryRunPhase(
  phaseId: number,
  opts: DryRunOptions,
  deps: DryRunDeps,
): Promise<DryRunReport> {
  const { ws, plan, state } = deps;
  const phase = phaseOrThrow(plan, phaseId);
  const blockedBy: string[] = [];

  // The lock and the ledger, as `phase` would find them (read, never taken).
  const lock = await readLock(ws);
  const lockState = lock ? holderState(lock.info) : undefined;
  // The same run plan `phase` makes once it holds the lock: one rule for both.
  const final = planPhaseRun(ws, plan, state, liveHolderOf(lock), phaseId, {
    allowDeferred: opts.allowDeferred,
    force: opts.force,
    resume: opts.resume,
    autoRollback: opts.autoRollback ?? true,
    toolVersion: toolVersion(),
  });
  for (const b of final.blockedBy) if (b.rule === 'order') blockedBy.push(`order: ${b.reason}`);
  if (lock && (lockState === 'alive' || lockState === 'other-host' || lockState === 'unreadable'))
    blockedBy.push(
      `lock: the workspace is locked${lock.info ? ` by ${describeHolder(lock.info, deps.clock.now())}` : ` (${ws.lockFile} is unreadable)`}; the run would exit 4`,
    );
  for (const b of final.blockedBy) if (b.rule !== 'order') blockedBy.push(`${b.rule}: ${b.reason}`);
  const interrupted = unsettledRuns(state, liveHolderOf(lock)).filter((r) => r.id !== final.resume?.runId);
  const { order } = final;

  // Sizing starts now and runs beside the checklist; disk_space shares the same walk.
  const sizes = new Map<string, Promise<SizeEstimate>>();
  const sizing = { ws, clock: deps.clock, sizes };
  const backups = Promise.all(
    final.backups.map(async ({ system: name }): Promise<BackupPlan> => {
      const system = plan.systems[name];
      if (!system) return { system: name, source: '', error: 'not a system of the plan' };
      try {
        return await sizeOf(sizing, system);
      } catch (err) {
        return { system: name, source: system.path, error: (err as Error).message };
      }
    }),
  );

  const ctx: ChecklistContext = {
    ws,
    plan,
    phase,
    state,
    mode: 'dry-run',
    runner: deps.runner,
    clock: deps.clock,
    processEnv: deps.processEnv,
    ...(deps.signal ? { signal: deps.signal } : {}),
    acks: new Set(opts.acks),
    sizes,
  };
  const checks = phase.checks.filter((c) => final.checklist.includes(c.id));
  const outcome = await runChecklist(checks, ctx, { concurrency: opts.concurrency, ...deps.listeners });
  for (const r of outcome.blocking) blockedBy.push(`check ${r.id}: ${r.reason}`);

  const sized = await backups;
  const runbookFile = join(ws.rollbackDir, `phase-${phase.id}.md`);
  const preview = await previewRunbook(deps, phase, sized, final);

  return {
    dryRun: true,
    project: plan.project,
    plan: plan.file,
    planIsDefault: plan.isDefault,
    phase: {
      id: phase.id,
      title: phase.title,
      ...(phase.summary ? { summary: phase.summary } : {}),
      deferred: phase.deferred,
      ...(phase.gnrdaemon ? { gnrdaemon: phase.gnrdaemon } : {}),
      ...(phase.pages ? { pages: phase.pages } : {}),
      criteria: phase.criteria,
    },
    current: state.current,
    wouldProceed: blockedBy.length === 0,
    blockedBy,
    order,
    workspace: {
      lock: lock
        ? {
            holder: lock.info ? describeHolder(lock.info, deps.clock.now()) : 'unreadable',
            state: lockState ?? 'unreadable',
          }
        : null,
      interrupted: interrupted.map(unsettledRunView),
    },
    checklist: checklistJson({ ...phase, checks }, 'dry-run', outcome),
    backups: sized,
    runbook: { path: runbookFile, exists: existsSync(runbookFile), ...(preview ? { preview } : {}) },
    steps: final.steps.map(stepView),
    ...(final.resume
      ? {
          resume: {
            runId: final.resume.runId,
            safetyNetComplete: final.resume.safetyNetComplete,
            skippedSteps: final.skippedSteps,
            reuseBackups: final.reuseBackups,
          },
        }
      : {}),
    rollback: {
      to: final.rollback.to,
      steps: final.rollback.steps.map(stepView),
      restore: phase.rollback.restore,
      ...(phase.rollback.notes ? { notes: phase.rollback.notes } : {}),
    },
    runPlan: redactDeep(final),
    verify: phase.verify.map((c) => ({
      id: c.id,
      title: c.title,
      kind: c.kind,
      severity: c.severity,
      what: describeCheck(c),
    })),
  };
}

export function commandView(cmd: ResolvedCommand): CommandView {
  return {
    kind: cmd.kind,
    ...(cmd.kind === 'run' ? { argv: cmd.argv ?? [] } : { script: cmd.script ?? '' }),
    commandLine: cmd.commandLine,
    cwd: cmd.cwd,
    env: cmd.env,
    timeoutMs: cmd.timeoutMs,
  };
}

function stepView(step: PlannedStep): StepView {
  return {
    id: step.id,
    title: step.title,
    ...commandView(step),
    ...(step.undo ? { undo: commandView(step.undo) } : {}),
  };
}

/**
 * The runbook the run would write, rendered in memory by the runbook writer itself, with the
 * backups as they would be (sizes now; hashes exist only once they are made). Best effort: a
 * preview that cannot be rendered is left out, it never fails the dry-run.
 */
async function previewRunbook(
  deps: DryRunDeps,
  phase: DryRunReport['phase'] & { id: number },
  sized: BackupPlan[],
  runPlan: PhaseRunPlan,
): Promise<string | undefined> {
  try {
    const { renderRunbook } = await import('../rollback/runbook.js');
    const full = phaseOrThrow(deps.plan, phase.id);
    const at = deps.clock.now();
    const backups: BackupInfo[] = sized
      .filter((b): b is SizeEstimate => !('error' in b))
      .map((b) => ({
        id: basename(b.destination),
        system: b.system,
        dir: b.destination,
        source: b.source,
        // The same restore lines as the real runbook: a single-file system is not a folder.
        sourceType: isFile(b.source) ? 'file' : 'dir',
        phase: phase.id,
        runId: null,
        createdAt: at.toISOString(),
        files: b.files,
        bytes: b.bytes,
        manifestHash: '(computed when the backup is made)',
      }));
    return renderRunbook({
      ws: deps.ws,
      plan: deps.plan,
      phase: full,
      runId: '(dry run)',
      status: 'in progress',
      backups,
      at,
      rollbackTo: runPlan.rollback.to,
      inputArgs: inputArgs(runPlan.inputs),
    });
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
