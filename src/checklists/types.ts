import type { SizeEstimate } from '../backup/types.js';
import type { Clock } from '../core/clock.js';
import type { ProcessRunner } from '../core/process.js';
import type { Workspace } from '../core/workspace.js';
import type { State } from '../ledger/schema.js';
import type { Check, Phase, Plan } from '../plan/types.js';

/**
 * The checklist contract shared by `check`, `phase` (before the steps and as verify),
 * `rollback` (the target's verify), the dry-run and `gate`.
 */

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'timeout' | 'error' | 'pending';

export interface CheckResult {
  id: string;
  title: string;
  kind: Check['kind'];
  severity: 'block' | 'warn';
  status: CheckStatus;
  /** This result stops the phase: a block-severity check that did not pass (pending excluded). */
  blocking: boolean;
  durationMs: number;
  /** One line a person can act on: "tcp 127.0.0.1:40404: connection refused — is gnrdaemon running?" */
  reason: string;
  /** The last lines of a command check's output, for failure records. */
  outputTail?: string;
  /** Where the full output went (apply mode only). */
  log?: string;
  /** For `ack` checks answered: who and how. */
  ack?: { by: string; at: string; via: 'tty' | 'flag' };
}

/**
 * Why the checklist runs: decides what the builtins `backup_exists`/`rollback_plan` look at,
 * whether `ack` may prompt, and whether command output is logged to disk.
 * - `dry-run`: nothing written; output only to the terminal; backups/runbook reported as "will create".
 * - `check`: as dry-run (read-only), the plain `check` command.
 * - `apply`: inside `phase`, before backups (builtins backup_exists/rollback_plan report pending,
 *   confirmed later by `confirm` below); output logged under `logDir`.
 * - `confirm`: inside `phase`, after backups and runbook: backup_exists/rollback_plan check the
 *   run's real backups and runbook.
 * - `verify`: success criteria after steps (or a rollback target's verify); output logged.
 * - `gate`: read-only; builtins check what is on disk.
 */
export type ChecklistMode = 'dry-run' | 'check' | 'apply' | 'confirm' | 'verify' | 'gate';

export interface ChecklistContext {
  ws: Workspace;
  plan: Plan;
  phase: Phase;
  state: State;
  mode: ChecklistMode;
  runner: ProcessRunner;
  clock: Clock;
  processEnv: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Folder for command-check logs (`migration/logs/<run-id>/`); absent in read-only modes. */
  logDir?: string;
  /** Check ids acknowledged with `--ack`. */
  acks: ReadonlySet<string>;
  /** Asks a person (TTY only); absent when no one can be asked. */
  prompt?: (question: string) => Promise<boolean>;
  /** For `confirm` mode: the backups this run made (ids) and its runbook path. */
  runBackups?: string[];
  runbookPath?: string;
  /**
   * `ack` answers collected before the checklist ran (see `askAcks`): asking while a live
   * progress view draws would garble the terminal, so callers ask first and pass the answers.
   */
  answers?: ReadonlyMap<string, AckAnswer>;
  /** Shared size estimates of systems (disk_space and the dry-run's backup sizing walk once). */
  sizes?: Map<string, Promise<SizeEstimate>>;
}

export interface AckAnswer {
  yes: boolean;
  by: string;
  at: string;
}

export interface ChecklistOptions {
  concurrency: number;
  /** Called as each check starts and ends, for progress display. */
  onStart?: (check: Check) => void;
  onResult?: (check: Check, result: CheckResult) => void;
  /** A command check's output line, for live display (dry-run/check print it to the terminal). */
  onOutput?: (check: Check, line: string) => void;
}

/** Summary of a checklist run. */
export interface ChecklistOutcome {
  results: CheckResult[];
  /** No blocking result. */
  passed: boolean;
  blocking: CheckResult[];
  pending: CheckResult[];
}
