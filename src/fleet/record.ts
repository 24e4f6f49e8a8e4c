import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { stampDash } from '../core/clock.js';
import type { Judged } from './judge.js';
import type { HostResult } from './results.js';
import type { FleetRun, FleetState, HostRun } from './schema.js';

/** `20261202-101500-fleet-phase3-a1b2` */
export function newFleetRunId(kind: FleetRun['kind'], phase: number | null, at: Date): string {
  return `${stampDash(at)}-fleet-${kind}${phase ?? ''}-${randomBytes(2).toString('hex')}`;
}

/** A run found `running` while we hold the lock was cut off: its controller is gone. */
export function settleDeadRuns(state: FleetState, at: Date): void {
  for (const run of state.runs) {
    if (run.status !== 'running') continue;
    run.status = 'interrupted';
    run.endedAt ??= at.toISOString();
    for (const w of run.waves) if (w.status === 'running') w.status = 'interrupted';
  }
}

export interface HostRecordInput {
  run: FleetRun;
  host: string;
  workspace: string;
  wave?: string;
  result: HostResult;
  judged: Judged;
  /** The controller's workspace: fetched files are recorded relative to it. */
  root: string;
  at: Date;
}

/** Records one host's part of a run: a HostRun in its history and its phase as it now stands. */
export async function recordHost(state: FleetState, input: HostRecordInput): Promise<HostRun> {
  const { run, result, judged } = input;
  if (!state.hosts[input.host])
    state.hosts[input.host] = { workspace: input.workspace, phase: null, runs: [] };
  const host = state.hosts[input.host] as FleetState['hosts'][string];
  host.workspace = input.workspace;
  if (input.wave && run.kind === 'phase') host.wave = input.wave;
  if (result.current !== undefined) host.phase = result.current;
  else if (judged.outcome === 'applied' && run.phase !== null) host.phase = run.phase;

  const kept: { failure?: string; runbook?: string } = {};
  // The fetched copies stay in the run's folder, under the workspace.
  if (result.failureFile) kept.failure = relative(input.root, result.failureFile);
  if (result.runbookFile) kept.runbook = relative(input.root, result.runbookFile);
  const entry: HostRun = {
    fleetRun: run.id,
    kind: run.kind,
    phase: run.phase,
    ...(input.wave ? { wave: input.wave } : {}),
    outcome: judged.outcome,
    exitCode: result.exitCode,
    ...(judged.hostRunId ? { hostRunId: judged.hostRunId } : {}),
    ...(result.startedAt ? { startedAt: result.startedAt } : {}),
    ...(result.endedAt ? { endedAt: result.endedAt } : { endedAt: input.at.toISOString() }),
    ...(result.durationMs !== undefined ? { durationMs: Math.round(result.durationMs) } : {}),
    message: judged.message,
    ...(judged.autoRollback ? { autoRollback: true } : {}),
    ...kept,
  };
  host.runs.push(entry);
  return entry;
}
