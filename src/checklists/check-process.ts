import { join } from 'node:path';
import type { ProcessRequest, ProcessResult } from '../core/process.js';
import type { Check } from '../plan/types.js';
import type { ChecklistContext, ChecklistOptions } from './types.js';
import { error, timeout, type Verdict } from './verdict.js';

export interface CheckProcess {
  result: ProcessResult;
  /** The verdict with what a failure record shows of the run: its output's tail and its log. */
  withOutput: (verdict: Verdict) => Verdict;
  /**
   * The verdict, with output, of a program that did not run to its end (not started, timed out,
   * interrupted), in the check's own words; undefined when it ran to its end and is to be judged.
   */
  unfinished: (words: { timedOut: string; interrupted: string }) => Verdict | undefined;
}

/**
 * Runs the program of a check (a `run`/`shell` check, or a builtin that asks a program) through
 * the process runner, so that each is stopped with the checklist, streams its output to the live
 * view, and writes `<logDir>/check-<id>.log` only when the mode keeps logs: a dry-run writes
 * nothing.
 */
export async function runCheckProcess(
  check: Check,
  ctx: ChecklistContext,
  opts: ChecklistOptions,
  command: Pick<ProcessRequest, 'kind' | 'argv' | 'script' | 'cwd'>,
): Promise<CheckProcess> {
  const log = ctx.logDir ? join(ctx.logDir, `check-${check.id}.log`) : undefined;
  const result = await ctx.runner({
    ...command,
    timeoutMs: check.timeoutMs,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(log ? { logFile: log } : {}),
    onLine: (line) => opts.onOutput?.(check, line),
  });
  const withOutput = (verdict: Verdict): Verdict => ({
    ...verdict,
    ...(result.tail ? { outputTail: result.tail.slice(-4096) } : {}),
    ...(log ? { log } : {}),
  });
  const unfinished = (words: { timedOut: string; interrupted: string }) => {
    if (result.startError) return withOutput(error(result.startError));
    if (result.timedOut) return withOutput(timeout(words.timedOut));
    if (result.aborted) return withOutput(error(words.interrupted));
    return undefined;
  };
  return { result, withOutput, unfinished };
}
