/**
 * Typed errors. Only `src/main.ts` turns them into exit codes (DESIGN §5); everything else
 * throws them with a message that tells the operator what to do next.
 */

export const ExitCode = {
  ok: 0,
  failed: 1,
  badInput: 2,
  needsPerson: 3,
  locked: 4,
  sigint: 130,
  sigterm: 143,
} as const;

export class GnrMigrateError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Exit 2: usage, plan file, metrics file, unknown phase or backup. */
export class InputError extends GnrMigrateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.badInput, options);
  }
}

/** Exit 1: a check, gate item, step or verify failed. */
export class FailedError extends GnrMigrateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.failed, options);
  }
}

/** Exit 3: a rollback or restore failed; a person must look. */
export class NeedsPersonError extends GnrMigrateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.needsPerson, options);
  }
}

/** Exit 4: the workspace is held by another run. */
export class LockedError extends GnrMigrateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.locked, options);
  }
}

/** Exit 130/143: the run was stopped by a signal (after recording and cleanup). */
export class InterruptedError extends GnrMigrateError {
  readonly signal: 'SIGINT' | 'SIGTERM';
  constructor(signal: 'SIGINT' | 'SIGTERM', message = `interrupted by ${signal}`) {
    super(message, signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm);
    this.signal = signal;
  }
}

export interface PlanIssue {
  file: string;
  line?: number;
  column?: number;
  /** Document path, e.g. `phases[3].checks[1].http`. */
  path: string;
  message: string;
}

export function formatPlanIssue(issue: PlanIssue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}:${issue.column ?? 1}` : issue.file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Exit 2: the plan is invalid; carries every issue found, each with file, line and path. */
export class PlanError extends InputError {
  readonly issues: PlanIssue[];
  constructor(issues: PlanIssue[]) {
    const head =
      issues.length === 1 ? 'the plan is invalid' : `the plan is invalid (${issues.length} problems)`;
    super(`${head}:\n${issues.map((i) => `  ${formatPlanIssue(i)}`).join('\n')}`);
    this.issues = issues;
  }
}
