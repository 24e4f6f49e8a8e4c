import { resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { findWorkspace, type Workspace } from '../core/workspace.js';
import { loadPlan } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import type { Output } from '../ui/output.js';

/** Options every command takes (DESIGN §4). */
export interface GlobalOptions {
  cwd?: string;
  plan?: string;
  env?: string;
  var?: string[];
  json?: boolean;
  events?: boolean;
}

/** What a command gets from `main`: parsed global options, the workspace, output and signals. */
export interface CommandContext {
  global: GlobalOptions;
  ws: Workspace;
  out: Output;
  processEnv: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Which signal aborted `signal`, once it has. */
  interruptedBy(): 'SIGINT' | 'SIGTERM' | undefined;
  /**
   * A command that stops its own work cleanly on `signal` (kills children, records, releases the
   * lock) calls this; `main` then waits for it instead of exiting at once.
   */
  handleSignals(): void;
  /** The command line as typed, for the ledger and the lock. */
  commandLine: string;
}

export function parseVars(pairs: string[] | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InputError(`--var ${pair}: expected NAME=VALUE`);
    const name = pair.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new InputError(`--var ${pair}: "${name}" is not a valid var name`);
    vars[name] = pair.slice(eq + 1);
  }
  return vars;
}

export function workspaceFor(global: GlobalOptions, cwd = process.cwd()): Workspace {
  return findWorkspace(global.cwd ? resolve(cwd, global.cwd) : cwd);
}

/** The plan as this command's options select and override it. */
export function planFor(ctx: CommandContext): Promise<Plan> {
  return loadPlan({
    workspace: ctx.ws,
    ...(ctx.global.plan ? { planFile: resolve(ctx.global.plan) } : {}),
    ...(ctx.global.env !== undefined ? { environment: ctx.global.env } : {}),
    vars: parseVars(ctx.global.var),
    processEnv: ctx.processEnv,
  });
}

export function parsePhaseId(text: string, what = 'phase'): number {
  if (!/^\d{1,3}$/.test(text.trim()))
    throw new InputError(`${what} "${text}": expected a phase number such as 0, 3 or 4`);
  return Number(text);
}
