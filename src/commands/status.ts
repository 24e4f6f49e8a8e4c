import { readdir } from 'node:fs/promises';
import { formatAge } from '../core/clock.js';
import { listFailures } from '../ledger/failure.js';
import { failureViews, type HalfApplied, readHistory } from '../ledger/history.js';
import { describeHolder, holderState, readLock } from '../ledger/lock.js';
import { appliedPhases, liveHolderOf, unsettledRuns, unsettledRunView } from '../ledger/run-state.js';
import type { Run } from '../ledger/schema.js';
import { lastRun, readState } from '../ledger/state.js';
import { phasesInPathOrder, standingOf } from '../phases/path.js';
import { table } from '../ui/output.js';
import { type CommandContext, planFor } from './context.js';

const marks = {
  applied: '●',
  current: '◉',
  next: '○',
  pending: '○',
  deferred: '⊘',
  'off-path': '·',
  'half-applied': '◐',
} as const;

export async function run(ctx: CommandContext): Promise<number> {
  const { out, ws } = ctx;
  const plan = await planFor(ctx);
  const state = await readState(ws);
  const lock = await readLock(ws);
  const lockState = lock ? holderState(lock.info) : undefined;
  const liveHolder = liveHolderOf(lock);
  const history = readHistory(state, liveHolder);
  const [backups, failures] = await Promise.all([countBackups(ws.backupsDir), countFailures(ctx, history)]);
  const interrupted = unsettledRuns(state, liveHolder);
  const halfApplied = new Map(history.halfApplied.map((h) => [h.phase, h]));
  const last = lastRun(state);
  const now = new Date();

  // A phase skipped by `--force` is before the current one on the path but was never applied.
  const applied = appliedPhases(plan, state);
  const phases = phasesInPathOrder(plan).map((p) => ({
    id: p.id,
    title: p.title,
    standing: halfApplied.has(p.id)
      ? ('half-applied' as const)
      : ((s) => (s === 'applied' && !applied.has(p.id) ? 'pending' : s))(standingOf(plan, p, state.current)),
    gnrdaemon: p.gnrdaemon ?? null,
    pages: p.pages ?? null,
  }));
  const next = phases.find((p) => p.standing === 'next') ?? phases.find((p) => p.standing === 'half-applied');

  if (out.json) {
    out.data({
      project: plan.project,
      plan: plan.file,
      planIsDefault: plan.isDefault,
      planChanged: state.planHash !== null && state.planHash !== plan.hash,
      current: state.current,
      next: next?.id ?? null,
      path: plan.path,
      phases,
      lastRun: last ?? null,
      lock: lock ? { holder: lock.info ?? null, state: lockState } : null,
      interrupted: interrupted.map(unsettledRunView),
      halfApplied: history.halfApplied,
      backups,
      failures,
    });
    return 0;
  }

  const { c } = out;
  out.say(
    `${c.bold('gnr-migrate')} · ${plan.project} · plan ${plan.isDefault ? 'embedded default (run `gnr-migrate init` to edit a copy)' : plan.file}`,
  );
  out.say();
  out.say(
    table(
      phases.map((p) => {
        const mark = marks[p.standing];
        const colored =
          p.standing === 'applied'
            ? c.green(mark)
            : p.standing === 'current'
              ? c.bold(c.green(mark))
              : p.standing === 'deferred'
                ? c.dim(mark)
                : p.standing === 'half-applied'
                  ? c.yellow(mark)
                  : mark;
        const half = halfApplied.get(p.id);
        const label =
          p.standing === 'current'
            ? c.bold('current')
            : p.standing === 'deferred'
              ? c.dim('deferred')
              : half
                ? c.yellow(halfLabel(half))
                : p.standing;
        return [
          colored,
          String(p.id),
          p.title,
          label,
          c.dim(
            [p.gnrdaemon && `gnrdaemon ${p.gnrdaemon}`, p.pages && `pages ${p.pages}`]
              .filter(Boolean)
              .join(', '),
          ),
        ];
      }),
    ),
  );
  out.say();
  out.say(
    `Current phase: ${state.current === null ? 'none applied yet' : c.bold(String(state.current))}${next ? ` · next: ${next.id}` : state.current !== null ? ' · the path is complete' : ''}`,
  );
  if (state.planHash !== null && state.planHash !== plan.hash)
    out.say(c.yellow('The plan changed since the last run.'));
  if (last) {
    const when = formatAge(new Date(last.endedAt ?? last.startedAt), now);
    const what =
      last.kind === 'rollback'
        ? `rollback of phase ${last.phase} to ${last.to ?? 'none'}`
        : last.kind === 'backup'
          ? 'backup by hand'
          : `phase ${last.phase}`;
    out.say(`Last run: ${what} · ${colorStatus(last.status, c)} · ${when} ago · ${last.id}`);
  } else {
    out.say('Last run: none');
  }
  if (!lock) out.say('Lock: free');
  else if (!lock.info)
    out.say(c.yellow(`Lock: ${ws.lockFile} is unreadable; if no run is active: gnr-migrate unlock --force`));
  else
    out.say(
      `Lock: held by ${describeHolder(lock.info, now)}${lockState === 'dead' ? c.yellow(' — holder is gone (stale); the next command takes it over') : ''}`,
    );
  for (const h of history.halfApplied) {
    const total = plan.phases.find((p) => p.id === h.phase)?.steps.length;
    const where = h.stoppedAt ? ` at step ${h.stoppedAt}` : '';
    const done = total === undefined ? '' : ` (${h.stepsDone.length} of ${total} steps done)`;
    out.say(
      c.yellow(
        h.state === 'rollback-failed'
          ? `Phase ${h.phase} is half-applied: its rollback failed (run ${h.runId}); a person must look. Follow the runbook ${h.runbook}, then run \`gnr-migrate rollback\`.`
          : `Phase ${h.phase} is half-applied: run ${h.runId} ${h.state === 'interrupted' ? `was interrupted${where}` : `failed${where} and was not rolled back`}${done}. ` +
              `Run \`gnr-migrate rollback\` to undo it, or \`gnr-migrate phase ${h.phase} --resume\` to finish it.`,
      ),
    );
  }
  // Unsettled runs outside any phase (none today) are still named.
  for (const r of interrupted.filter((r) => r.phase === null)) {
    out.say(c.yellow(`Interrupted run: ${r.id} (${r.kind}, started ${r.startedAt}).`));
  }
  out.say(`Backups: ${backups} · Failures: ${failures}`);
  return 0;
}

function colorStatus(status: Run['status'], c: CommandContext['out']['c']): string {
  if (status === 'succeeded') return c.green(status);
  if (status === 'running') return c.cyan(status);
  return c.red(status);
}

function halfLabel(h: HalfApplied): string {
  return h.state === 'rollback-failed'
    ? 'half-applied (rollback failed)'
    : h.state === 'interrupted'
      ? 'half-applied (interrupted)'
      : 'half-applied (failed)';
}

/** Failures as `failures` lists them: a manual rollback that succeeded is not one. */
async function countFailures(ctx: CommandContext, history: ReturnType<typeof readHistory>): Promise<number> {
  const { records } = await listFailures(ctx.ws);
  return failureViews(records, history).filter((v) => v.isFailure).length;
}

/** Complete backups only: `<system>_<stamp>` folders (temporaries start with a dot). */
async function countBackups(dir: string): Promise<number> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && /_\d{8}-\d{6}/.test(e.name))
      .length;
  } catch {
    return 0;
  }
}
