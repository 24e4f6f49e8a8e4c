import type { Check } from '../plan/types.js';
import { runCheckProcess } from './check-process.js';
import type { ChecklistContext, ChecklistOptions } from './types.js';
import { error, fail, inWorkspace, lastLine, oneLine, pass, seconds, type Verdict } from './verdict.js';

type BuiltinCheck = Extract<Check, { kind: 'builtin' }>;

/**
 * `git_clean`: no uncommitted change in the deploy repository (`path`, default the
 * workspace). `--no-optional-locks` keeps `git status` from refreshing the index: a check is
 * read-only, and a dry-run must not touch a single file.
 */
export async function gitClean(
  check: BuiltinCheck,
  ctx: ChecklistContext,
  opts: ChecklistOptions,
): Promise<Verdict> {
  const dir = inWorkspace(ctx, check.path ?? '.');
  const { result, withOutput, unfinished } = await runCheckProcess(check, ctx, opts, {
    kind: 'run',
    argv: ['git', '--no-optional-locks', 'status', '--porcelain'],
    cwd: dir,
  });
  const stopped = unfinished({
    timedOut: `git status in ${dir}: no answer within ${seconds(check.timeoutMs)}`,
    interrupted: `git status in ${dir}: interrupted`,
  });
  if (stopped) return stopped;
  if (result.exitCode !== 0) {
    const said = lastLine(result.stderr) ?? '';
    return withOutput(
      /not a git repository/i.test(said)
        ? fail(`${dir} is not a git repository — set \`path:\` on the check to the deploy repository`)
        : error(oneLine(`git status in ${dir}: exit ${result.exitCode ?? result.signal}: ${said}`)),
    );
  }
  const changes = result.stdout.split('\n').filter((l) => l.trim() !== '');
  if (changes.length === 0) return withOutput(pass(`${dir}: working tree clean`));
  const sample = changes
    .slice(0, 3)
    .map((l) => l.trim())
    .join(', ');
  return withOutput(
    fail(
      oneLine(
        `${dir}: ${changes.length} uncommitted change${changes.length > 1 ? 's' : ''} (${sample}${changes.length > 3 ? ', …' : ''}) — commit or stash them first`,
        160,
      ),
    ),
  );
}
