import type { Check } from '../plan/types.js';
import { runCheckProcess } from './check-process.js';
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
  type Verdict,
} from './verdict.js';

type CommandCheck = Extract<Check, { kind: 'run' | 'shell' }>;

/**
 * Runs a `run` or `shell` check (its timeout kills the whole process tree) and judges exit
 * code and stdout.
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
  const { result, withOutput, unfinished } = await runCheckProcess(check, ctx, opts, {
    kind: check.kind,
    ...(check.kind === 'run' ? { argv: check.argv } : { script: check.script }),
    cwd: inWorkspace(ctx, check.cwd ?? '.'),
  });

  const stopped = unfinished({
    timedOut: `${oneLine(label, 60)}: no result within ${seconds(check.timeoutMs)}; its process tree was killed`,
    interrupted: `${oneLine(label, 60)}: interrupted`,
  });
  if (stopped) return stopped;
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
