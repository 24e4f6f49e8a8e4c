import { join } from 'node:path';
import type { Check } from '../plan/types.js';
import type { ChecklistContext, ChecklistOptions } from './types.js';
import {
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
  const log = ctx.logDir ? join(ctx.logDir, `check-${check.id}.log`) : undefined;
  const result = await ctx.runner({
    kind: 'run',
    argv: ['git', '--no-optional-locks', 'status', '--porcelain'],
    cwd: dir,
    timeoutMs: check.timeoutMs,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(log ? { logFile: log } : {}),
    onLine: (line) => opts.onOutput?.(check, line),
  });
  const extra = { ...(log ? { log } : {}), ...(result.tail ? { outputTail: result.tail.slice(-4096) } : {}) };
  if (result.startError) return { ...error(result.startError), ...extra };
  if (result.timedOut)
    return { ...timeout(`git status in ${dir}: no answer within ${seconds(check.timeoutMs)}`), ...extra };
  if (result.aborted) return { ...error(`git status in ${dir}: interrupted`), ...extra };
  if (result.exitCode !== 0) {
    const said = lastLine(result.stderr) ?? '';
    return {
      ...(/not a git repository/i.test(said)
        ? fail(`${dir} is not a git repository — set \`path:\` on the check to the deploy repository`)
        : error(oneLine(`git status in ${dir}: exit ${result.exitCode ?? result.signal}: ${said}`))),
      ...extra,
    };
  }
  const changes = result.stdout.split('\n').filter((l) => l.trim() !== '');
  if (changes.length === 0) return { ...pass(`${dir}: working tree clean`), ...extra };
  const sample = changes
    .slice(0, 3)
    .map((l) => l.trim())
    .join(', ');
  return {
    ...fail(
      oneLine(
        `${dir}: ${changes.length} uncommitted change${changes.length > 1 ? 's' : ''} (${sample}${changes.length > 3 ? ', …' : ''}) — commit or stash them first`,
        160,
      ),
    ),
    ...extra,
  };
}
