import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { runProcess } from '../core/process.js';
import { packageRoot, toolVersion } from '../core/version.js';
import { ansibleEngine } from '../fleet/ansible-engine.js';
import type { FleetContext } from '../fleet/hosts-run.js';
import { type Inventory, parseInventoryList } from '../fleet/inventory.js';
import { FleetLedger, fleetPaths } from '../fleet/ledger.js';
import { resolveTarball } from '../fleet/tarball.js';
import type { Plan } from '../plan/types.js';
import { type CommandContext, planFor } from './context.js';

/** Options every `fleet` command that reaches hosts takes. */
export interface FleetCommandOptions {
  inventory?: string;
  forks?: number;
  playbook?: string;
  tarball?: string;
  install?: boolean;
  verbose?: boolean;
  ack?: string[];
}

/** The inventory file: -i, else the plan's fleet.inventory, else migration/fleet/inventory.yaml. */
export function inventoryFile(ctx: CommandContext, plan: Plan | undefined, given?: string): string {
  if (given) return resolve(given);
  if (plan?.fleet?.inventory) return resolve(ctx.ws.root, plan.fleet.inventory);
  return fleetPaths(ctx.ws).defaultInventory;
}

/** The playbook: --playbook, else the workspace's own copy, else the one the package ships. */
export function playbookFile(ctx: CommandContext, given?: string): string {
  if (given) {
    const p = resolve(given);
    if (!existsSync(p)) throw new InputError(`--playbook ${given}: no such file`);
    return p;
  }
  const own = join(fleetPaths(ctx.ws).dir, 'playbook.yaml');
  return existsSync(own) ? own : join(packageRoot, 'migration', 'fleet', 'playbook.yaml');
}

/**
 * SSH pipelining (one connection per task instead of four) unless the operator configured
 * Ansible: an ANSIBLE_PIPELINING in the environment or any ansible.cfg Ansible would read wins.
 */
export function ansibleDefaults(env: NodeJS.ProcessEnv, cwd: string): Record<string, string> {
  const configs = [
    env.ANSIBLE_CONFIG,
    join(cwd, 'ansible.cfg'),
    join(homedir(), '.ansible.cfg'),
    '/etc/ansible/ansible.cfg',
  ];
  if (env.ANSIBLE_PIPELINING !== undefined || configs.some((f) => f && existsSync(f))) return {};
  return { ANSIBLE_PIPELINING: 'True' };
}

export async function loadFleet(
  ctx: CommandContext,
  options: FleetCommandOptions,
  packInto?: string,
): Promise<{ plan: Plan; inventory: Inventory; fleet: FleetContext }> {
  const plan = await planFor(ctx);
  const file = inventoryFile(ctx, plan, options.inventory);
  if (!existsSync(file)) {
    throw new InputError(
      `no inventory at ${file}: write one (see the README's Fleet section) or pass -i FILE`,
    );
  }
  const engine = ansibleEngine(runProcess, ansibleDefaults(ctx.processEnv, ctx.ws.root));
  const inventory = parseInventoryList(file, await engine.listInventory(file));
  const forks = options.forks ?? plan.fleet?.forks;
  const tarball =
    options.install === false || !packInto
      ? undefined
      : await resolveTarball({
          ...((options.tarball ?? plan.fleet?.tarball)
            ? { given: options.tarball ?? plan.fleet?.tarball }
            : {}),
          cwd: options.tarball ? process.cwd() : ctx.ws.root,
          packageRoot,
          into: packInto,
          runner: runProcess,
        });
  const fleet: FleetContext = {
    engine,
    inventory,
    playbook: playbookFile(ctx, options.playbook),
    ...(forks ? { forks } : {}),
    ...(tarball ? { tarball } : {}),
    version: toolVersion(),
    clock: systemClock,
    signal: ctx.signal,
    ...(options.verbose ? { onLine: (line: string) => ctx.out.say(ctx.out.c.dim(`  │ ${line}`)) } : {}),
  };
  return { plan, inventory, fleet };
}

/** Runs `work` holding the fleet ledger (its lock), released however `work` ends. */
export async function withFleetLedger<T>(
  ctx: CommandContext,
  work: (ledger: FleetLedger) => Promise<T>,
): Promise<T> {
  const ledger = await FleetLedger.open(ctx.ws, ctx.commandLine, (note) => ctx.out.warn(note));
  try {
    return await work(ledger);
  } finally {
    await ledger.release();
  }
}
