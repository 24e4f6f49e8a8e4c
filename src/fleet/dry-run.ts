import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FleetContext, runOnHosts } from './hosts-run.js';
import { type DryRunVerdict, judgeDryRun } from './judge.js';
import type { WaveLayout } from './waves.js';

/**
 * `fleet phase <id> --dry-run`: every host's own dry-run at once (it changes nothing on a
 * host), then the fleet's plan — the waves with their hosts, and what is blocked and why. The
 * controller's workspace is left as it was: results go to a temp folder, the ledger is not
 * touched.
 */

export interface FleetDryRun {
  phase: number;
  inventory: string;
  source: WaveLayout['source'];
  waves: { name: string; maxFailPercentage: number; hosts: DryRunVerdict[]; wouldStop: boolean }[];
  outside: string[];
  counts: { hosts: number; ready: number; blocked: number; unreachable: number; error: number };
  wouldProceed: boolean;
  /** The wave whose blocked hosts alone would exceed its budget: later waves would not start. */
  firstStop?: string;
  durationMs: number;
  /** Of which inside ansible-playbook: the rest is the controller's own time. */
  engineMs: number;
}

export async function fleetDryRun(
  ctx: FleetContext,
  phase: number,
  layout: WaveLayout,
  acks: string[],
  keepLog?: string,
): Promise<FleetDryRun> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'gnr-migrate-fleet-dry-'));
  try {
    const hosts = layout.waves.flatMap((w) => w.hosts);
    const { playbook, results } = await runOnHosts(ctx, {
      hosts,
      args: ['phase', String(phase), '--dry-run', '--json', ...acks.flatMap((a) => ['--ack', a])],
      resultsDir: join(dir, 'results'),
      logFile: keepLog ?? join(dir, 'ansible.log'),
      statusAfter: false,
    });
    const verdicts = new Map(
      hosts.map((h) => {
        const r = results.get(h);
        return [
          h,
          r
            ? judgeDryRun(r, playbook.recap[h])
            : { host: h, state: 'error' as const, current: undefined, blockedBy: [], message: 'no result' },
        ];
      }),
    );
    const counts = { hosts: hosts.length, ready: 0, blocked: 0, unreachable: 0, error: 0 };
    for (const v of verdicts.values()) counts[v.state]++;
    let firstStop: string | undefined;
    const waves = layout.waves.map((w) => {
      const list = w.hosts.map((h) => verdicts.get(h) as DryRunVerdict);
      const bad = list.filter((v) => v.state !== 'ready').length;
      const wouldStop = bad / w.hosts.length > w.maxFailPercentage / 100;
      if (wouldStop && !firstStop) firstStop = w.name;
      return { name: w.name, maxFailPercentage: w.maxFailPercentage, hosts: list, wouldStop };
    });
    return {
      phase,
      inventory: ctx.inventory.file,
      source: layout.source,
      waves,
      outside: layout.outside,
      counts,
      wouldProceed: counts.ready === counts.hosts,
      ...(firstStop ? { firstStop } : {}),
      durationMs: performance.now() - started,
      engineMs: playbook.durationMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
