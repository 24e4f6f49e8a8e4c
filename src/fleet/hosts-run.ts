import { mkdir } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import type { FleetEngine, PlaybookOutcome, PlaybookVars } from './engine.js';
import type { Inventory } from './inventory.js';
import { type HostResult, readHostResult } from './results.js';

/** What every fleet command needs to reach hosts: the engine and how to call it. */
export interface FleetContext {
  engine: FleetEngine;
  inventory: Inventory;
  /** The playbook run on the hosts (the one the package ships, or the operator's copy). */
  playbook: string;
  forks?: number;
  /** The packed gnr-migrate to install where the version differs; none: hosts must have it. */
  tarball?: string;
  version: string;
  clock: Clock;
  signal?: AbortSignal;
  /** Ansible's output, line by line. */
  onLine?: (line: string) => void;
}

export interface HostsRunRequest {
  hosts: string[];
  /** gnr-migrate's arguments on each host. */
  args: string[];
  resultsDir: string;
  logFile: string;
  maxFailPercentage?: number;
  /** Ask each host's status after the command (its phase, for the ledger). */
  statusAfter?: boolean;
}

export interface HostsRunResult {
  playbook: PlaybookOutcome;
  results: Map<string, HostResult>;
}

/** One ansible-playbook run over some hosts, and what came back from each. */
export async function runOnHosts(ctx: FleetContext, req: HostsRunRequest): Promise<HostsRunResult> {
  await mkdir(req.resultsDir, { recursive: true });
  const extraVars: PlaybookVars = {
    gnr_migrate_args: req.args,
    gnr_migrate_results: req.resultsDir,
    gnr_migrate_version: ctx.version,
    ...(ctx.tarball ? { gnr_migrate_tarball: ctx.tarball } : {}),
    ...(req.maxFailPercentage !== undefined
      ? { gnr_migrate_max_fail_percentage: req.maxFailPercentage }
      : {}),
    ...(req.statusAfter !== undefined ? { gnr_migrate_status_after: req.statusAfter } : {}),
  };
  const playbook = await ctx.engine.runPlaybook({
    inventory: ctx.inventory.file,
    playbook: ctx.playbook,
    hosts: req.hosts,
    extraVars,
    ...(ctx.forks ? { forks: ctx.forks } : {}),
    logFile: req.logFile,
    ...(ctx.onLine ? { onLine: ctx.onLine } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const results = new Map<string, HostResult>();
  await Promise.all(
    req.hosts.map(async (h) => {
      results.set(h, await readHostResult(req.resultsDir, h));
    }),
  );
  return { playbook, results };
}
