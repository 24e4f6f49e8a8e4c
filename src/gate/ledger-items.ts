import { describeHolder, type LockHolderState, type LockInfo } from '../ledger/lock.js';
import { unsettledRuns } from '../ledger/run-state.js';
import type { Run, State } from '../ledger/schema.js';
import type { GateItem } from './types.js';

/**
 * The ledger and lock items: a deploy must not start while a run is in progress, while a run
 * is unsettled (killed, interrupted, or failed without a rollback: `unsettledRuns`), or while a
 * stale lock would stop the next `phase` or `rollback`.
 */

export interface LockView {
  /** Absent: no lock file. */
  present: boolean;
  info?: LockInfo;
  state?: LockHolderState;
}

export function ledgerItem(
  state: State | undefined,
  readError: string | undefined,
  lock: LockView,
): GateItem {
  const base = {
    id: 'ledger',
    group: 'ledger' as const,
    title: 'no running or interrupted run in the ledger',
    threshold: 'none',
  };
  if (!state) {
    return {
      ...base,
      verdict: 'fail',
      measured: 'unreadable',
      message: readError ?? 'the ledger cannot be read',
    };
  }
  const live = lock.state === 'alive' || lock.state === 'other-host' ? lock.info : undefined;
  const inProgress = state.runs.filter(
    (r) => r.status === 'running' && !r.settledBy && live && live.pid === r.pid && live.host === r.host,
  );
  const unsettled = unsettledRuns(state, live);
  const first = inProgress[0] ?? unsettled[0];
  if (!first) {
    return {
      ...base,
      verdict: 'pass',
      measured: 'none',
      message: `no running or interrupted run (${state.runs.length} run${state.runs.length === 1 ? '' : 's'} in the ledger)`,
    };
  }
  const count = inProgress.length + unsettled.length;
  const more = count > 1 ? ` (and ${count - 1} more)` : '';
  if (inProgress.includes(first)) {
    return {
      ...base,
      verdict: 'fail',
      measured: `running: ${first.id}`,
      message: `a run is in progress: ${describeRun(first)} (pid ${first.pid} on ${first.host})${more}; wait for it to finish`,
    };
  }
  const settle =
    first.kind === 'phase' && first.phase !== null
      ? `\`gnr-migrate rollback\` or \`gnr-migrate phase ${first.phase} --resume\``
      : '`gnr-migrate rollback`';
  return {
    ...base,
    verdict: 'fail',
    measured: `${first.status === 'running' ? 'interrupted' : first.status}: ${first.id}`,
    message: `unsettled run ${first.id}: ${describeRun(first)} ${whatHappened(first)}${more}; settle it with ${settle}`,
  };
}

export function lockItem(lock: LockView, lockFile: string, now: Date): GateItem {
  const base = {
    id: 'lock',
    group: 'lock' as const,
    title: 'the workspace is not locked',
    threshold: 'free',
  };
  if (!lock.present) return { ...base, verdict: 'pass', measured: 'free', message: 'no lock held' };
  if (!lock.info || lock.state === 'unreadable') {
    return {
      ...base,
      verdict: 'fail',
      measured: 'unreadable',
      message: `${lockFile} cannot be read; if no gnr-migrate is running, run \`gnr-migrate unlock --force\``,
    };
  }
  const holder = describeHolder(lock.info, now);
  switch (lock.state) {
    case 'dead':
      return {
        ...base,
        verdict: 'fail',
        measured: `stale (pid ${lock.info.pid} gone)`,
        message: `stale lock, run \`gnr-migrate unlock\`: its holder is gone (${holder})`,
      };
    case 'other-host':
      return {
        ...base,
        verdict: 'fail',
        measured: `held from ${lock.info.host}`,
        message: `a run is in progress on another host: ${holder}; if it is gone, run \`gnr-migrate unlock --force\``,
      };
    default:
      return {
        ...base,
        verdict: 'fail',
        measured: `held by pid ${lock.info.pid}`,
        message: `a run is in progress: ${holder}`,
      };
  }
}

function whatHappened(run: Run): string {
  if (run.status === 'running') return 'was left running by a process that is gone (interrupted)';
  if (run.status === 'failed') return 'failed and was not rolled back';
  return 'was interrupted';
}

function describeRun(run: Run): string {
  if (run.kind === 'rollback') return `rollback of phase ${run.phase} to ${run.to ?? 'none'}`;
  if (run.kind === 'backup') return 'backup by hand';
  return `phase ${run.phase}`;
}
