import { systemClock } from '../core/clock.js';
import { InterruptedError } from '../core/errors.js';
import { currentHost, currentUser } from '../core/host.js';
import { redact } from '../core/redact.js';
import { acquireLock, describeHolder } from '../ledger/lock.js';
import { newRunId } from '../ledger/run-id.js';
import type { Run } from '../ledger/schema.js';
import { Ledger } from '../ledger/state.js';
import { stopOrphanSteps } from '../phases/session.js';
import { type CommandContext, requireWorkspace } from './context.js';

/**
 * What `backup create` and `backup restore` share: the workspace lock, and a ledger run of kind
 * `backup` (phase null: outside any phase) written through as it goes. A run stopped by a
 * signal is recorded as failed with the signal as reason — not `interrupted`, which would ask
 * for a rollback that a backup by hand never needs.
 */
export interface BackupRun {
  id: string;
  update(mutate: (run: Run) => void): Promise<void>;
}

export async function withBackupRun<T>(
  ctx: CommandContext,
  body: (run: BackupRun) => Promise<T>,
): Promise<T> {
  requireWorkspace(ctx);
  ctx.handleSignals();
  const lock = await acquireLock(ctx.ws, {
    command: redact(ctx.commandLine),
    user: currentUser(),
    onTakeover: (prev) => ctx.out.warn(`took over a stale lock: ${describeHolder(prev)} is gone`),
  });
  try {
    const ledger = await Ledger.open(ctx.ws);
    await stopOrphanSteps(ledger.snapshot, lock.info, ctx.out);
    const at = systemClock.now();
    const id = newRunId('backup', null, at);
    await ledger.update((state) => {
      state.runs.push({
        id,
        kind: 'backup',
        phase: null,
        from: state.current,
        to: state.current,
        status: 'running',
        startedAt: at.toISOString(),
        host: currentHost(),
        user: currentUser(),
        pid: process.pid,
        command: redact(ctx.commandLine),
        steps: [],
        backups: [],
        snapshots: [],
        acks: [],
      });
    });
    const run: BackupRun = { id, update: (mutate) => ledger.updateRun(id, mutate) };
    try {
      const result = await body(run);
      await ledger.updateRun(id, (r) => {
        r.status = 'succeeded';
        r.exitCode = 0;
        r.endedAt = new Date().toISOString();
      });
      return result;
    } catch (err) {
      const signal = ctx.interruptedBy();
      const exitCode = signal
        ? signal === 'SIGINT'
          ? 130
          : 143
        : ((err as { exitCode?: number }).exitCode ?? 70);
      await ledger.updateRun(id, (r) => {
        r.status = 'failed';
        r.exitCode = exitCode;
        r.reason = signal ? `interrupted by ${signal}` : (err as Error).message;
        r.endedAt = new Date().toISOString();
        for (const s of r.steps) if (s.status === 'running') s.status = signal ? 'interrupted' : 'failed';
      });
      throw signal ? new InterruptedError(signal) : err;
    }
  } finally {
    await lock.release();
  }
}

/** Records one step (a backup or a restore) around `work`. */
export async function recordStep<T>(
  run: BackupRun,
  step: { id: string; stage: 'backup' | 'restore' },
  work: () => Promise<T>,
  message: (result: T) => string,
): Promise<T> {
  const startedAt = new Date();
  let index = -1;
  await run.update((r) => {
    index = r.steps.push({ ...step, status: 'running', startedAt: startedAt.toISOString() }) - 1;
  });
  const result = await work().catch(async (err: unknown) => {
    await run.update((r) => {
      const s = r.steps[index]!;
      s.status = 'failed';
      s.message = (err as Error).message;
      s.endedAt = new Date().toISOString();
      s.durationMs = Date.now() - startedAt.getTime();
    });
    throw err;
  });
  await run.update((r) => {
    const s = r.steps[index]!;
    s.status = 'succeeded';
    s.message = message(result);
    s.endedAt = new Date().toISOString();
    s.durationMs = Date.now() - startedAt.getTime();
  });
  return result;
}
