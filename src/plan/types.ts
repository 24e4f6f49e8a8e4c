import type { Compare, Triggers } from './schema.js';

/**
 * The resolved plan: vars interpolated, durations in milliseconds, defaults filled in, kinds
 * tagged. This is what the rest of the tool works with; the raw shapes live in `schema.ts`.
 */

interface CheckCommon {
  id: string;
  title: string;
  severity: 'block' | 'warn';
  timeoutMs: number;
  /** Where the check sits in the plan, e.g. `phases[2].checks[0]`. */
  docPath: string;
}

export type Check =
  | (CheckCommon & { kind: 'run'; argv: string[]; cwd?: string; expect: { exit: number; stdout?: string } })
  | (CheckCommon & { kind: 'shell'; script: string; cwd?: string; expect: { exit: number; stdout?: string } })
  | (CheckCommon & {
      kind: 'http';
      url: string;
      method: 'GET' | 'HEAD' | 'POST';
      headers: Record<string, string>;
      expect: { status: number; body?: string; header?: Record<string, string> };
      retries: number;
      intervalMs: number;
    })
  | (CheckCommon & { kind: 'tcp'; host: string; port: number; expect: 'open' | 'closed' })
  | (CheckCommon & { kind: 'unix'; path: string; expect: 'open' | 'closed' })
  | (CheckCommon & { kind: 'file'; path: string; expect: 'exists' | 'absent'; contains?: string })
  | (CheckCommon & { kind: 'env'; name: string; equals?: string; matches?: string; unset: boolean })
  | (CheckCommon & {
      kind: 'builtin';
      name:
        | 'backup_exists'
        | 'rollback_plan'
        | 'previous_phase_applied'
        | 'disk_space'
        | 'git_clean'
        | 'no_interrupted_run';
      factor: number;
      path?: string;
    })
  | (CheckCommon & { kind: 'ack'; question: string });

export type CheckKindName = Check['kind'];

/** A program or a shell line, with where and how long it may run. */
export type Command = ({ kind: 'run'; argv: string[] } | { kind: 'shell'; script: string }) & {
  cwd?: string;
  env: Record<string, string>;
  timeoutMs: number;
};

export type Step = Command & {
  id: string;
  title: string;
  undo?: Command;
  docPath: string;
};

export interface Phase {
  id: number;
  title: string;
  summary?: string;
  deferred: boolean;
  gnrdaemon?: 'unchanged' | 'reduced' | 'fallback' | 'eliminated' | 'none';
  pages?: 'ephemeral' | 'ephemeral+live' | 'resident';
  backup: string[];
  checks: Check[];
  steps: Step[];
  verify: Check[];
  rollback: {
    /** The phase this one rolls back to; null when it is the first on the path (nothing applied). */
    to: number | null;
    steps: Step[];
    restore: string[];
    notes?: string;
  };
  criteria: string[];
  notes?: string;
  docPath: string;
}

export interface System {
  name: string;
  path: string;
  exclude: string[];
  description?: string;
}

export interface Gate {
  triggers: Triggers;
  compare: Compare;
}

export interface Plan {
  /** The file it came from (the embedded default plan's path when none is in the workspace). */
  file: string;
  isDefault: boolean;
  hash: string;
  project: string;
  description?: string;
  environment?: string;
  vars: Record<string, string>;
  /** Names of the secret vars (the plan's `secrets:`); their values are never written in clear. */
  secrets: string[];
  /** The `--var` overrides this plan was resolved with, and `--env`'s name. */
  overrides: Record<string, string>;
  systems: Record<string, System>;
  path: number[];
  phases: Phase[];
  gate: Gate;
  warnings: string[];
}

export const defaultCheckTimeoutMs = 30_000;
export const defaultStepTimeoutMs = 10 * 60_000;
export const defaultHttpIntervalMs = 1_000;

export function findPhase(plan: Plan, id: number): Phase | undefined {
  return plan.phases.find((p) => p.id === id);
}

export function commandLine(cmd: Command): string {
  return cmd.kind === 'run' ? cmd.argv.map(shellQuote).join(' ') : cmd.script;
}

/** POSIX shell quoting, for runbooks and dry-run listings a person can paste. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
