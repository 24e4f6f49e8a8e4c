import { join } from 'node:path';
import { pidStartTime } from '../core/host.js';
import type { ProcessResult, ProcessRunner } from '../core/process.js';
import type { StepRecord } from '../ledger/schema.js';
import type { Command } from '../plan/types.js';
import type { RunSession } from './session.js';

export interface RecordedCommandDeps {
  session: RunSession;
  runId: string;
  runner: ProcessRunner;
  logDir: string;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

export interface RecordedOutcome {
  ok: boolean;
  status: StepRecord['status'];
  result: ProcessResult;
  log: string;
  /** One line for a person. */
  message: string;
}

/**
 * Runs one step, undo or rollback step: written to the ledger as `running` before it starts
 * and with its outcome after, so a run killed in between leaves an exact record.
 */
export async function runRecordedCommand(
  deps: RecordedCommandDeps,
  step: { id: string; stage: StepRecord['stage']; command: Command },
): Promise<RecordedOutcome> {
  const logName = step.stage === 'step' ? `${step.id}.log` : `${step.stage}-${step.id}.log`;
  const log = join(deps.logDir, logName);
  const index = await deps.session.stepStarted(deps.runId, { id: step.id, stage: step.stage, log });
  const { command } = step;
  // The step's process group goes into the ledger while it runs: if this process is killed,
  // the next command that takes the lock finds the group and stops it (issue 12 §4).
  let recorded: Promise<void> = Promise.resolve();
  const result = await deps.runner({
    onSpawn: (pgid) => {
      const start = pidStartTime(pgid);
      // Not durable across a power cut (no folder fsync): a power cut ends the group too.
      recorded = deps.session.updateRun(
        deps.runId,
        (run) => {
          const s = run.steps[index];
          if (s) Object.assign(s, { pgid, ...(start !== undefined ? { pgidStart: start } : {}) });
        },
        false,
      );
    },
    kind: command.kind,
    ...(command.kind === 'run' ? { argv: command.argv } : { script: command.script }),
    ...(command.cwd ? { cwd: command.cwd } : {}),
    env: command.env,
    timeoutMs: command.timeoutMs,
    ...(deps.signal ? { signal: deps.signal } : {}),
    logFile: log,
    ...(deps.onLine ? { onLine: (line: string) => deps.onLine?.(line) } : {}),
  });
  await recorded;
  const status: StepRecord['status'] = result.aborted
    ? 'interrupted'
    : result.timedOut
      ? 'timed-out'
      : result.exitCode === 0 && !result.startError
        ? 'succeeded'
        : 'failed';
  const message = describeOutcome(result, command.timeoutMs);
  await deps.session.stepEnded(deps.runId, index, {
    status,
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: Math.round(result.durationMs),
    message,
  });
  return { ok: status === 'succeeded', status, result, log, message };
}

export function describeOutcome(result: ProcessResult, timeoutMs: number): string {
  if (result.startError) return result.startError;
  if (result.aborted) return 'interrupted';
  if (result.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)}s (process tree killed)`;
  if (result.exitCode === 0) return 'exit 0';
  const lastLine = result.tail.trim().split('\n').pop()?.slice(0, 200);
  return `exit ${result.exitCode ?? result.signal}${lastLine ? `: ${lastLine}` : ''}`;
}
