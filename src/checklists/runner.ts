import { InputError } from '../core/errors.js';
import type { Check } from '../plan/types.js';
import { evaluate } from './evaluate.js';
import type { ChecklistContext, ChecklistOptions, ChecklistOutcome, CheckResult } from './types.js';
import { cleanReason, type Verdict } from './verdict.js';

/**
 * Runs checks `concurrency` at a time and returns their results in plan order. Checks are
 * read-only by contract, so order of execution does not matter; order of reporting does.
 * Once `ctx.signal` aborts, running checks are stopped (their process trees killed) and the
 * ones not started are reported as not run.
 */
export async function runChecklist(
  checks: Check[],
  ctx: ChecklistContext,
  opts: ChecklistOptions,
): Promise<ChecklistOutcome> {
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)
    throw new InputError(`concurrency ${opts.concurrency}: expected a whole number of 1 or more`);
  const results: CheckResult[] = new Array(checks.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const check = checks[i];
      if (!check) return;
      results[i] = await runOne(check, ctx, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, checks.length) }, worker));
  return summarize(results);
}

export function summarize(results: CheckResult[]): ChecklistOutcome {
  const blocking = results.filter((r) => r.blocking);
  return {
    results,
    passed: blocking.length === 0,
    blocking,
    pending: results.filter((r) => r.status === 'pending'),
  };
}

async function runOne(check: Check, ctx: ChecklistContext, opts: ChecklistOptions): Promise<CheckResult> {
  if (ctx.signal?.aborted) {
    const result = toResult(check, { status: 'error', reason: 'not run: interrupted' }, 0);
    opts.onResult?.(check, result);
    return result;
  }
  opts.onStart?.(check);
  const started = performance.now();
  let verdict: Verdict;
  try {
    verdict = await evaluate(check, ctx, opts);
  } catch (err) {
    // A defect in a check kind must not take the whole checklist down; it reports as error.
    verdict = {
      status: 'error',
      reason: `internal error in the ${check.kind} check: ${(err as Error).message}`,
    };
  }
  const result = toResult(check, verdict, performance.now() - started);
  opts.onResult?.(check, result);
  return result;
}

/** `severity: warn` turns a failure into `warn`: reported, never blocking. */
export function toResult(check: Check, verdict: Verdict, durationMs: number): CheckResult {
  const failed = verdict.status === 'fail' || verdict.status === 'timeout' || verdict.status === 'error';
  const status = failed && check.severity === 'warn' ? 'warn' : verdict.status;
  return {
    id: check.id,
    title: check.title,
    kind: check.kind,
    severity: check.severity,
    status,
    blocking: failed && check.severity === 'block',
    durationMs: Math.round(durationMs),
    reason: cleanReason(
      status === 'warn' && verdict.status !== 'fail'
        ? `${verdict.status}: ${verdict.reason}`
        : verdict.reason,
    ),
    ...(verdict.outputTail ? { outputTail: verdict.outputTail } : {}),
    ...(verdict.log ? { log: verdict.log } : {}),
    ...(verdict.ack ? { ack: verdict.ack } : {}),
  };
}
