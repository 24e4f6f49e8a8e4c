import { readdir } from 'node:fs/promises';
import { formatAge } from '../core/clock.js';
import { describeHolder, holderState, readLock } from '../ledger/lock.js';
import { appliedPhases, liveHolderOf, unsettledRuns } from '../ledger/run-state.js';
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
} as const;

export async function run(ctx: CommandContext): Promise<number> {
  const { out, ws } = ctx;
  const plan = await planFor(ctx);
  const state = await readState(ws);
  const lock = await readLock(ws);
  const lockState = lock ? holderState(lock.info) : undefined;
  const [backups, failures] = await Promise.all([
    countBackups(ws.backupsDir),
    countFiles(ws.failuresDir, '.json'),
  ]);
  const interrupted = unsettledRuns(state, liveHolderOf(lock));
  const last = lastRun(state);
  const now = new Date();

  // A phase skipped by `--force` is before the current one on the path but was never applied.
  const applied = appliedPhases(plan, state);
  const phases = phasesInPathOrder(plan).map((p) => ({
    id: p.id,
    title: p.title,
    standing: ((s) => (s === 'applied' && !applied.has(p.id) ? 'pending' : s))(
      standingOf(plan, p, state.current),
    ),
    gnrdaemon: p.gnrdaemon ?? null,
    pages: p.pages ?? null,
  }));
  const next = phases.find((p) => p.standing === 'next');

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
      interrupted: interrupted.map((r) => ({
        id: r.id,
        kind: r.kind,
        phase: r.phase,
        startedAt: r.startedAt,
      })),
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
                : mark;
        const label =
          p.standing === 'current'
            ? c.bold('current')
            : p.standing === 'deferred'
              ? c.dim('deferred')
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
  for (const r of interrupted) {
    out.say(
      c.yellow(
        `Interrupted run: ${r.id} (${r.kind} ${r.phase ?? ''}, started ${r.startedAt}). Settle it with \`gnr-migrate rollback\`` +
          (r.kind === 'phase' ? ` or \`gnr-migrate phase ${r.phase} --resume\`.` : '.'),
      ),
    );
  }
  out.say(`Backups: ${backups} · Failures: ${failures}`);
  return 0;
}

function colorStatus(status: Run['status'], c: CommandContext['out']['c']): string {
  if (status === 'succeeded') return c.green(status);
  if (status === 'running') return c.cyan(status);
  return c.red(status);
}

async function countFiles(dir: string, suffix: string): Promise<number> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith(suffix)).length;
  } catch {
    return 0;
  }
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
