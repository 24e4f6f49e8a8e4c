import { isAbsolute, resolve } from 'node:path';
import type { Check } from '../plan/types.js';
import type { ChecklistContext, ChecklistOptions, CheckResult } from './types.js';

/**
 * What one check kind says about one check, before the runner applies severity and timing.
 * `pending` means "cannot be known before the run" (a backup the run will make, an ack a
 * person gives later); it never blocks.
 */
export interface Verdict {
  status: 'pass' | 'fail' | 'timeout' | 'error' | 'pending';
  reason: string;
  outputTail?: string;
  log?: string;
  ack?: CheckResult['ack'];
}

/** How a check kind is evaluated: the check, the context, and the listeners of the run. */
export type Evaluator<C extends Check = Check> = (
  check: C,
  ctx: ChecklistContext,
  opts: ChecklistOptions,
) => Promise<Verdict>;

export const pass = (reason: string): Verdict => ({ status: 'pass', reason });
export const fail = (reason: string): Verdict => ({ status: 'fail', reason });
export const error = (reason: string): Verdict => ({ status: 'error', reason });
export const pending = (reason: string): Verdict => ({ status: 'pending', reason });
export const timeout = (reason: string): Verdict => ({ status: 'timeout', reason });

/** Plan paths are relative to the workspace, not to wherever the operator happens to stand. */
export function inWorkspace(ctx: ChecklistContext, path: string): string {
  return isAbsolute(path) ? path : resolve(ctx.ws.root, path);
}

/** One line, at most `max` characters: reasons are read in tables and CI annotations. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * A reason fit for a table row, a JUnit attribute and a CI annotation: terminal escapes and
 * control characters (command output has them) removed, one line.
 */
export function cleanReason(text: string, max = 240): string {
  return oneLine(text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x1f\x7f]+/g, ' '), max);
}

/** The last non-empty line of some output, for a reason ("exit 1: ModuleNotFoundError: …"). */
export function lastLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]) return lines[i];
  return undefined;
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** Compiles a plan regex. The plan loader validated it already; a `${var}` may still break it. */
export function compile(source: string, flags = ''): RegExp | string {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    return `not a valid regular expression /${source}/: ${(err as Error).message}`;
  }
}
