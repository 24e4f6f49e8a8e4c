import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JUnitCase, JUnitSuite } from '../core/junit.js';
import { gateCase } from '../gate/report-junit.js';
import type { GateItem } from '../gate/types.js';
import { type FleetContext, runOnHosts } from './hosts-run.js';
import { type Judged, judgeGate } from './judge.js';
import type { HostResult } from './results.js';

/**
 * `fleet gate`: `gnr-migrate gate` on every host of a wave or of the fleet, at once. Like the
 * host gate it writes nothing and takes no lock; the report is one JUnit test suite per host.
 */

export interface FleetGateHost extends Judged {
  host: string;
  items: GateItem[];
  durationMs?: number;
  startedAt?: string;
}

export interface FleetGateReport {
  phase?: number;
  hosts: FleetGateHost[];
  ok: boolean;
  exitCode: number;
}

export async function fleetGate(
  ctx: FleetContext,
  hosts: string[],
  opts: { phase?: number; acks: string[]; deep?: boolean },
): Promise<FleetGateReport> {
  const dir = await mkdtemp(join(tmpdir(), 'gnr-migrate-fleet-gate-'));
  try {
    const args = [
      'gate',
      '--json',
      ...(opts.phase !== undefined ? ['--phase', String(opts.phase)] : []),
      ...(opts.deep ? ['--deep'] : []),
      ...opts.acks.flatMap((a) => ['--ack', a]),
    ];
    const { playbook, results } = await runOnHosts(ctx, {
      hosts,
      args,
      resultsDir: join(dir, 'results'),
      logFile: join(dir, 'ansible.log'),
      statusAfter: false,
    });
    const list: FleetGateHost[] = hosts.map((h) => {
      const r = results.get(h) as HostResult;
      const items = Array.isArray(r.doc?.items) ? (r.doc?.items as GateItem[]) : [];
      return {
        host: h,
        ...judgeGate(r, playbook.recap[h]),
        items,
        ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
        ...(r.startedAt ? { startedAt: r.startedAt } : {}),
      };
    });
    const ok = list.every((h) => h.outcome === 'passed');
    return {
      ...(opts.phase !== undefined ? { phase: opts.phase } : {}),
      hosts: list,
      ok,
      exitCode: ok ? 0 : 1,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One test suite per host: its gate items as test cases, or one error case if it never ran. */
export function fleetGateSuites(report: FleetGateReport): JUnitSuite[] {
  return report.hosts.map((h) => {
    const cases: JUnitCase[] = h.items.length
      ? h.items.map((item) => ({ ...gateCase(item), classname: `gnr-migrate.fleet.${h.host}.${item.group}` }))
      : [
          {
            name: 'gate',
            classname: `gnr-migrate.fleet.${h.host}`,
            error: { message: h.message, type: h.outcome },
          },
        ];
    return {
      name: `${h.host}`,
      hostname: h.host,
      ...(h.startedAt ? { timestamp: new Date(h.startedAt) } : {}),
      ...(h.durationMs !== undefined ? { timeMs: h.durationMs } : {}),
      properties: {
        host: h.host,
        outcome: h.outcome,
        ...(report.phase !== undefined ? { phase: String(report.phase) } : {}),
      },
      cases,
    };
  });
}
