import type { Clock } from '../core/clock.js';
import { currentHost, currentUser } from '../core/host.js';
import { processGroupAlive, stopProcessGroup } from '../core/process.js';
import type { Workspace } from '../core/workspace.js';
import { acquireLock, describeHolder, type HeldLock } from '../ledger/lock.js';
import { newRunId } from '../ledger/run-id.js';
import { deadRuns, type LiveHolder, orphanSteps } from '../ledger/run-state.js';
import type { Run, State, StepRecord } from '../ledger/schema.js';
import { Ledger } from '../ledger/state.js';
import type { Output } from '../ui/output.js';

/**
 * One command's hold on the workspace: the lock, the ledger, and the run record it writes
 * through at every change. Dead runs found on taking the lock are marked interrupted first.
 */
export class RunSession {
  private constructor(
    readonly ws: Workspace,
    readonly ledger: Ledger,
    readonly lock: HeldLock,
    readonly clock: Clock,
  ) {}

  static async open(ws: Workspace, command: string, clock: Clock, out: Output): Promise<RunSession> {
    const lock = await acquireLock(ws, {
      command,
      user: currentUser(),
      onTakeover: (prev) => out.warn(`took over a stale lock: ${describeHolder(prev)} is gone`),
    });
    try {
      const ledger = await Ledger.open(ws);
      await stopOrphanSteps(ledger.snapshot, lock.info, out);
      const dead = deadRuns(ledger.snapshot, lock.info);
      if (dead.length > 0) {
        await ledger.update((state) => {
          for (const run of state.runs) {
            if (!dead.some((d) => d.id === run.id)) continue;
            run.status = 'interrupted';
            run.endedAt ??= clock.now().toISOString();
            // A backup by hand changed no system: there is nothing to settle.
            if (run.kind === 'backup') run.settledBy = run.id;
            for (const step of run.steps) if (step.status === 'running') step.status = 'interrupted';
          }
        });
        for (const d of dead)
          out.warn(`run ${d.id} (${d.kind} ${d.phase ?? ''}) was cut off and is now marked interrupted`);
      }
      return new RunSession(ws, ledger, lock, clock);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  get state() {
    return this.ledger.snapshot;
  }

  now(): string {
    return this.clock.now().toISOString();
  }

  async startRun(
    fields: Pick<Run, 'kind' | 'phase' | 'from' | 'to'> & Partial<Run> & { command: string },
  ): Promise<Run> {
    const at = this.clock.now();
    const run: Run = {
      id: newRunId(fields.kind, fields.phase, at),
      status: 'running',
      startedAt: at.toISOString(),
      host: currentHost(),
      user: currentUser(),
      pid: process.pid,
      steps: [],
      backups: [],
      snapshots: [],
      acks: [],
      ...fields,
    };
    await this.ledger.update((state) => {
      state.runs.push(run);
    });
    return this.ledger.run(run.id)!;
  }

  async updateRun(id: string, mutate: (run: Run) => void, durable = true): Promise<void> {
    await this.ledger.updateRun(id, (run) => mutate(run), durable);
  }

  /** Records a step as started; returns its index in the run's steps. */
  async stepStarted(runId: string, record: Omit<StepRecord, 'status' | 'startedAt'>): Promise<number> {
    let index = -1;
    await this.ledger.updateRun(runId, (run) => {
      index = run.steps.push({ ...record, status: 'running', startedAt: this.now() }) - 1;
    });
    return index;
  }

  async stepEnded(
    runId: string,
    index: number,
    fields: Partial<StepRecord> & Pick<StepRecord, 'status'>,
  ): Promise<void> {
    await this.ledger.updateRun(runId, (run) => {
      const step = run.steps[index];
      if (!step) return;
      Object.assign(step, fields);
      step.endedAt = this.now();
      step.durationMs ??= new Date(step.endedAt).getTime() - new Date(step.startedAt).getTime();
    });
  }

  async endRun(id: string, fields: Partial<Run> & Pick<Run, 'status'>): Promise<void> {
    await this.ledger.updateRun(id, (run) => {
      Object.assign(run, fields);
      run.endedAt = this.now();
    });
  }

  async close(): Promise<void> {
    await this.lock.release();
  }
}

/**
 * A step whose gnr-migrate was killed keeps running in its own process group, and would change
 * the systems under whatever runs next (a rollback's restore rewritten seconds later). Whoever
 * takes the lock stops such groups first, and says so before anything else.
 */
export async function stopOrphanSteps(
  state: Readonly<State>,
  live: LiveHolder,
  out: Pick<Output, 'warn'>,
): Promise<void> {
  for (const { run, step } of orphanSteps(state, live, currentHost())) {
    if (!processGroupAlive(step.pgid, step.pgidStart)) continue;
    out.warn(
      `step ${step.id} of run ${run.id} is still running (process group ${step.pgid}) although its gnr-migrate is gone: stopping it (SIGTERM, then SIGKILL)`,
    );
    const gone = await stopProcessGroup(step.pgid);
    if (!gone) out.warn(`process group ${step.pgid} did not stop after SIGKILL; check it by hand`);
  }
}
