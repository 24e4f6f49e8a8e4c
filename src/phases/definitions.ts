import { createBackup, readBackup, restoreBackup, verifyBackup } from '../backup/index.js';
import type { RollbackOutcome } from '../ledger/failure.js';
import type { Run } from '../ledger/schema.js';

/**
 * What the phase and rollback executors depend on besides the runner and the clock, as
 * interfaces (STYLE: dependencies at the edge): the real ones are built in `commands/`, tests
 * pass hand-written fakes.
 */

/** The backups as the executors use them. */
export interface BackupStore {
  create: typeof createBackup;
  read: typeof readBackup;
  verify: typeof verifyBackup;
  restore: typeof restoreBackup;
}

export const diskBackupStore: BackupStore = {
  create: createBackup,
  read: readBackup,
  verify: verifyBackup,
  restore: restoreBackup,
};

/** A y/N question to a person; absent when no one can be asked. */
export type Prompt = (question: string) => Promise<boolean>;

/** The end of a phase run or of a rollback run, for history and notifications. */
export interface RunEndEvent {
  /** The run as the ledger holds it at its end. */
  run: Run;
  kind: 'phase' | 'rollback';
  /** succeeded | failed | rolled-back | interrupted (phase); succeeded | failed | interrupted (rollback). */
  outcome: string;
  exitCode: number;
  /** Path of the failure record, relative to the workspace, when one was written. */
  failureRecord?: string;
  /** For a phase run that was rolled back automatically, and for every rollback run. */
  rollbackOutcome?: RollbackOutcome;
  /** Writes to this run's ledger record (e.g. the notifications sent for it), under the run's lock. */
  annotate?(mutate: (run: Run) => void): Promise<void>;
}

export interface RunEvents {
  /** Called once per run, after the ledger has recorded its end. Errors are reported, not fatal. */
  onRunEnd?(event: RunEndEvent): void | Promise<void>;
}

export const noRunEvents: RunEvents = {};
