import type { ChecklistContext, ChecklistOptions, ChecklistOutcome } from '../checklists/types.js';
import type { Clock } from '../core/clock.js';
import { formatPlanIssue, GnrMigrateError, PlanError } from '../core/errors.js';
import type { ProcessRunner } from '../core/process.js';
import type { Workspace } from '../core/workspace.js';
import { holderState, readLock } from '../ledger/lock.js';
import type { State } from '../ledger/schema.js';
import { readState } from '../ledger/state.js';
import type { Check, Plan } from '../plan/types.js';
import { type BackupAccess, backupItems } from './backup-items.js';
import { checkItem, checksFor, noChecksItem } from './checklist-items.js';
import { evaluateCompare } from './compare.js';
import { effectiveGate } from './defaults.js';
import { type LockView, ledgerItem, lockItem } from './ledger-items.js';
import type { MetricsFile } from './metrics.js';
import { choosePhase, isApplied, phaseItem, standingFor } from './phase-item.js';
import { runbookItem } from './runbook-item.js';
import { evaluateTriggers } from './triggers.js';
import type { GateItem, GateReport } from './types.js';

/** What the gate touches, passed in so tests drive it with fakes (STYLE: no module mocks). */
export interface GateDeps extends BackupAccess {
  runChecklist(checks: Check[], ctx: ChecklistContext, options: ChecklistOptions): Promise<ChecklistOutcome>;
  runner: ProcessRunner;
  clock: Clock;
}

export interface GateOptions {
  ws: Workspace;
  /** Loads the resolved plan; a PlanError becomes the failed `plan` item and exit 2. */
  loadPlan(): Promise<Plan>;
  phase?: number;
  metrics?: MetricsFile;
  baseline?: MetricsFile;
  deep: boolean;
  concurrency: number;
  acks: ReadonlySet<string>;
  processEnv: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * Evaluates every item of DESIGN §4 `gate`, in order: plan, ledger, lock, phase, its checklist
 * (or verify checks, once applied), its rollback backups, its runbook, the rollback triggers
 * (`--metrics`) and the parallel-run comparison (`--baseline`). Read-only: it writes nothing.
 * Items that cannot be evaluated are `skipped` with the reason; only `fail` blocks.
 */
export async function evaluateGate(options: GateOptions, deps: GateDeps): Promise<GateReport> {
  const started = deps.clock.now();
  const t0 = performance.now();
  const items: GateItem[] = [];
  const warnings = [...(options.metrics?.warnings ?? []), ...(options.baseline?.warnings ?? [])];
  const finish = (partial: Partial<GateReport> & { exitCode?: 0 | 1 | 2 }): GateReport => {
    const failed = items.some((i) => i.verdict === 'fail');
    const exitCode = partial.exitCode ?? (failed ? 1 : 0);
    return {
      ok: exitCode === 0,
      exitCode,
      project: null,
      planFile: null,
      phase: null,
      phaseTitle: null,
      standing: null,
      deep: options.deep,
      warnings,
      startedAt: started.toISOString(),
      ...partial,
      items,
      durationMs: performance.now() - t0,
    };
  };

  // 1. The plan. An invalid plan is bad input (exit 2), and nothing else can be evaluated.
  let plan: Plan;
  try {
    plan = await options.loadPlan();
  } catch (err) {
    if (!(err instanceof PlanError)) throw err;
    items.push({
      id: 'plan',
      group: 'plan',
      title: 'the plan is valid',
      verdict: 'fail',
      measured: `${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}`,
      threshold: 'valid',
      message: err.message.split('\n')[0] ?? 'the plan is invalid',
      details: err.issues.map(formatPlanIssue).join('\n'),
    });
    return finish({ exitCode: 2, planFile: err.issues[0]?.file ?? null });
  }
  warnings.push(...plan.warnings);
  items.push({
    id: 'plan',
    group: 'plan',
    title: 'the plan is valid',
    verdict: plan.warnings.length > 0 ? 'warn' : 'pass',
    measured: 'valid',
    threshold: 'valid',
    message: `${plan.isDefault ? 'the embedded default plan' : plan.file} is valid${plan.warnings.length ? ` (${plan.warnings.length} warning${plan.warnings.length === 1 ? '' : 's'})` : ''}`,
  });

  // 2–3. Ledger and lock. An unreadable ledger fails its item; the items that need it skip.
  let state: State | undefined;
  let readError: string | undefined;
  try {
    state = await readState(options.ws);
  } catch (err) {
    if (!(err instanceof GnrMigrateError)) throw err;
    readError = err.message;
  }
  const lock = await lockView(options.ws);
  items.push(ledgerItem(state, readError, lock), lockItem(lock, options.ws.lockFile, deps.clock.now()));

  // 4. The phase.
  const phase = choosePhase(plan, state, options.phase);
  items.push(phaseItem(plan, phase, state));
  const standing = state ? standingFor(plan, phase, state) : undefined;
  const applied = standing !== undefined && isApplied(standing);

  // 5–7. Checklist, backups and runbook, at once (checks may wait on the network).
  const stateDependent = state
    ? await Promise.all([
        checklistItems(options, deps, plan, phase, state, applied),
        backupItems(options.ws, phase, state, applied, options.deep, deps),
        runbookItem(options.ws, phase, applied).then((i) => [i]),
      ])
    : [
        [skippedForLedger('checklist', 'the checklist')],
        [skippedForLedger('backups', 'the backups')],
        [skippedForLedger('runbook', 'the runbook')],
      ];
  for (const list of stateDependent) items.push(...list);

  // 8–9. Rollback triggers and the parallel-run comparison.
  const gate = effectiveGate(plan.gate);
  if (options.metrics) items.push(...evaluateTriggers(gate.triggers, options.metrics, options.baseline));
  if (options.metrics && options.baseline)
    items.push(...evaluateCompare(gate.compare, options.metrics, options.baseline));

  return finish({
    project: plan.project,
    planFile: plan.file,
    phase: phase.id,
    phaseTitle: phase.title,
    standing: standing ?? null,
    thresholdsFrom: gate.source,
  });
}

async function checklistItems(
  options: GateOptions,
  deps: GateDeps,
  plan: Plan,
  phase: Plan['phases'][number],
  state: State,
  applied: boolean,
): Promise<GateItem[]> {
  const { kind, checks } = checksFor(phase, applied);
  if (checks.length === 0) return [noChecksItem(phase, kind)];
  const outcome = await deps.runChecklist(
    checks,
    {
      ws: options.ws,
      plan,
      phase,
      state,
      mode: 'gate',
      runner: deps.runner,
      clock: deps.clock,
      processEnv: options.processEnv,
      acks: options.acks,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    { concurrency: options.concurrency },
  );
  return outcome.results.map((r) => checkItem(r, kind));
}

async function lockView(ws: Workspace): Promise<LockView> {
  // A lock that exists but cannot be read (permissions) still blocks: report it unreadable.
  const lock = await readLock(ws).catch(() => ({ info: undefined }));
  if (!lock) return { present: false };
  const info = lock.info;
  return { present: true, ...(info ? { info } : {}), state: holderState(info) };
}

function skippedForLedger(id: 'checklist' | 'backups' | 'runbook', what: string): GateItem {
  return {
    id,
    group: id,
    title: `${what} of the phase`,
    verdict: 'skipped',
    measured: null,
    threshold: null,
    message: `skipped: the ledger cannot be read, so where the phase stands is unknown`,
  };
}
