import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { findWorkspace, type Workspace } from '../core/workspace.js';
import type { RunInputs } from '../ledger/schema.js';
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

/**
 * The workspace: `--cwd DIR` names it (a folder that does not exist is exit 2, never a
 * workspace made by accident); otherwise the nearest folder upward holding `migration/`.
 */
export function workspaceFor(global: GlobalOptions, cwd = process.cwd()): Workspace {
  if (!global.cwd) return findWorkspace(cwd);
  const dir = resolve(cwd, global.cwd);
  if (!existsSync(dir)) throw new InputError(`--cwd ${global.cwd}: no such folder (${dir})`);
  if (!statSync(dir).isDirectory()) throw new InputError(`--cwd ${global.cwd}: not a folder (${dir})`);
  return findWorkspace(dir);
}

/**
 * For a command that changes things: `--cwd DIR` must hold a workspace (`migration/`), so a
 * mistyped folder never starts a second, empty ledger beside the real one.
 */
export function requireWorkspace(ctx: CommandContext): void {
  if (ctx.global.cwd && !existsSync(ctx.ws.migrationDir))
    throw new InputError(
      `--cwd ${ctx.global.cwd}: ${ctx.ws.root} holds no workspace (no migration/ folder). ` +
        'Run `gnr-migrate init` there first, or point --cwd at the folder that holds migration/.',
    );
}

/**
 * A command that changes the systems asks first; without a terminal no one can answer, so it
 * refuses (exit 2) unless `--yes` says the operator already decided (issue 12 §5).
 */
export function requireYesWithoutTerminal(ctx: CommandContext, yes: boolean | undefined, what: string): void {
  if (!yes && !ctx.out.canPrompt)
    throw new InputError(
      `${what}: there is no terminal to confirm on; pass --yes to go ahead. Nothing was changed.`,
    );
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

/** Whether the command line gave any input of its own (`--var`, `--env`, `--plan`). */
export function givesInputs(ctx: CommandContext): boolean {
  return (ctx.global.var?.length ?? 0) > 0 || ctx.global.env !== undefined || ctx.global.plan !== undefined;
}

/**
 * The plan as a recorded run resolved it (issue 12 §3): with no `--var`/`--env`/`--plan` on the
 * command line, the run's own (a secret is not recorded and must come from the plan's default
 * or be given again); otherwise the command line's, which the caller then compares.
 */
export function planForRun(ctx: CommandContext, recorded: RunInputs | undefined): Promise<Plan> {
  if (!recorded || givesInputs(ctx)) return planFor(ctx);
  const overrides = Object.fromEntries(
    Object.entries(recorded.overrides).filter(([k]) => !(k in recorded.secretHashes)),
  );
  return loadPlan({
    workspace: ctx.ws,
    ...(existsSync(recorded.planFile) ? { planFile: recorded.planFile } : {}),
    ...(recorded.environment !== undefined ? { environment: recorded.environment } : {}),
    vars: overrides,
    processEnv: ctx.processEnv,
  });
}

export function parsePhaseId(text: string, what = 'phase'): number {
  if (!/^\d{1,3}$/.test(text.trim()))
    throw new InputError(`${what} "${text}": expected a phase number such as 0, 3 or 4`);
  return Number(text);
}

/**
 * The plan file, `--env` and `--var`s a saved plan is made again with by `apply FILE` (an empty
 * plan file: the workspace's, or the embedded default).
 */
export function savedInputsOf(ctx: CommandContext, planHash: string) {
  return {
    planFile: ctx.global.plan ? resolve(ctx.global.plan) : '',
    planHash,
    ...(ctx.global.env !== undefined ? { environment: ctx.global.env } : {}),
    overrides: parseVars(ctx.global.var),
  };
}
