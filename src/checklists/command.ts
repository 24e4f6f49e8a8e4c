import { join } from 'node:path';
import type { Check } from '../plan/types.js';
import type { ChecklistContext, ChecklistOptions } from './types.js';
import {
  compile,
  error,
  fail,
  inWorkspace,
  lastLine,
  oneLine,
  pass,
  seconds,
  timeout,
  type Verdict,
} from './verdict.js';

type CommandCheck = Extract<Check, { kind: 'run' | 'shell' }>;

/**
 * Runs a `run` or `shell` check through the process runner (its timeout kills the whole
 * process tree) and judges exit code and stdout. Output streams to the live view, and to
 * `<logDir>/check-<id>.log` only when the mode keeps logs: a dry-run writes nothing.
 */
export async function evaluateCommand(
  check: CommandCheck,
  ctx: ChecklistContext,
  opts: ChecklistOptions,
): Promise<Verdict> {
  // Long scripts (`python3 -c '...'`) would crowd out the reason: the command is named, shortened.
  const label = oneLine(
    check.kind === 'run' ? check.argv.join(' ') : `sh -c ${JSON.stringify(check.script)}`,
    80,
  );
  const log = ctx.logDir ? join(ctx.logDir, `check-${check.id}.log`) : undefined;
  const result = await ctx.runner({
    kind: check.kind,
    ...(check.kind === 'run' ? { argv: check.argv } : { script: check.script }),
    cwd: inWorkspace(ctx, check.cwd ?? '.'),
    timeoutMs: check.timeoutMs,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(log ? { logFile: log } : {}),
    onLine: (line) => opts.onOutput?.(check, line),
  });
  const withOutput = (v: Verdict): Verdict => ({
    ...v,
    ...(result.tail ? { outputTail: result.tail.slice(-4096) } : {}),
    ...(log ? { log } : {}),
  });

  if (result.startError) return withOutput(error(result.startError));
  if (result.timedOut)
    return withOutput(
      timeout(
        `${oneLine(label, 60)}: no result within ${seconds(check.timeoutMs)}; its process tree was killed`,
      ),
    );
  if (result.aborted) return withOutput(error(`${oneLine(label, 60)}: interrupted`));
  const last = lastLine(result.stderr) ?? lastLine(result.stdout);
  const said = last ? `: ${last}` : '';
  if (result.exitCode === null)
    return withOutput(fail(oneLine(`${label}: killed by ${result.signal ?? 'a signal'}${said}`)));
  if (result.exitCode !== check.expect.exit)
    return withOutput(
      fail(oneLine(`${label}: exit ${result.exitCode}, expected ${check.expect.exit}${said}`)),
    );
  if (check.expect.stdout !== undefined) {
    const re = compile(check.expect.stdout, 'm');
    if (typeof re === 'string') return withOutput(error(re));
    if (!re.test(result.stdout)) {
      const got = lastLine(result.stdout);
      return withOutput(
        fail(
          oneLine(
            `${label}: output does not match /${check.expect.stdout}/ (${got ? `last line: ${got}` : 'no output'})`,
          ),
        ),
      );
    }
  }
  return withOutput(
    pass(
      oneLine(
        `${label}: exit ${result.exitCode}${check.expect.stdout !== undefined ? `, output matches /${check.expect.stdout}/` : ''}`,
      ),
    ),
  );
}
