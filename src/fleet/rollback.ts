import { join, relative } from 'node:path';
import { InputError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { type FleetContext, runOnHosts } from './hosts-run.js';
import { selectHosts } from './inventory.js';
import { judgeRollback } from './judge.js';
import type { FleetLedger } from './ledger.js';
import { newFleetRunId, recordHost, settleDeadRuns } from './record.js';
import type { FleetRun, FleetState, HostRun } from './schema.js';

/**
 * `fleet rollback --wave NAME | --hosts PATTERN | --all`: the seed's mass-failure response.
 * Only hosts that applied the phase (and are still at it) are rolled back, all at once (up to
 * --forks), each through its own ledger with `gnr-migrate rollback`.
 */

export interface RollbackSelection {
  wave?: string;
  hosts?: string;
  all?: boolean;
}

export interface FleetRollbackResult {
  run?: FleetRun;
  /** The phase run whose hosts were rolled back. */
  of?: FleetRun;
  selected: string[];
  reverted: string[];
  failed: { host: string; outcome: HostRun['outcome']; message: string }[];
  exitCode: number;
}

export function selectForRollback(
  state: FleetState,
  ctx: Pick<FleetContext, 'inventory'>,
  sel: RollbackSelection,
): { of: FleetRun; hosts: string[] } {
  const phaseRuns = state.runs.filter((r) => r.kind === 'phase');
  const last = phaseRuns[phaseRuns.length - 1];
  if (!last) throw new InputError('no fleet phase run in the ledger: there is nothing to roll back');
  const atPhase = (run: FleetRun) => (h: string) => state.hosts[h]?.phase === run.phase;
  if (sel.wave !== undefined) {
    const run = [...phaseRuns].reverse().find((r) => r.waves.some((w) => w.name === sel.wave));
    if (!run) {
      const known = [...new Set(phaseRuns.flatMap((r) => r.waves.map((w) => w.name)))];
      throw new InputError(
        `--wave ${sel.wave}: no such wave in the fleet ledger (waves: ${known.join(', ') || 'none'})`,
      );
    }
    const wave = run.waves.find((w) => w.name === sel.wave);
    return { of: run, hosts: (wave?.hosts ?? []).filter(atPhase(run)) };
  }
  if (sel.hosts !== undefined) {
    const chosen = new Set(selectHosts(ctx.inventory, sel.hosts, '--hosts'));
    const inRun = last.waves.flatMap((w) => w.hosts);
    return { of: last, hosts: inRun.filter((h) => chosen.has(h)).filter(atPhase(last)) };
  }
  if (sel.all) return { of: last, hosts: last.waves.flatMap((w) => w.hosts).filter(atPhase(last)) };
  throw new InputError('say which hosts to roll back: --wave NAME, --hosts PATTERN or --all');
}

export async function runFleetRollback(
  ctx: FleetContext,
  ledger: FleetLedger,
  ws: Workspace,
  req: { select: RollbackSelection; reason?: string; command: string },
  onHost?: (host: string, run: HostRun) => void,
): Promise<FleetRollbackResult> {
  const { state } = ledger;
  const now = () => ctx.clock.now();
  settleDeadRuns(state, now());
  const { of, hosts } = selectForRollback(state, ctx, req.select);
  if (hosts.length === 0) return { of, selected: [], reverted: [], failed: [], exitCode: 0 };

  const name = req.select.wave ? `rollback-${req.select.wave}` : 'rollback';
  const run: FleetRun = {
    id: newFleetRunId('rollback', of.phase, now()),
    kind: 'rollback',
    phase: of.phase,
    inventory: ctx.inventory.file,
    command: req.command,
    status: 'running',
    startedAt: now().toISOString(),
    waves: [
      {
        name,
        hosts,
        maxFailPercentage: 100,
        status: 'running',
        startedAt: now().toISOString(),
        applied: [],
        failed: [],
        skipped: [],
      },
    ],
    hosts,
  };
  run.dir = relative(ws.root, join(ledger.paths.runsDir, run.id));
  state.runs.push(run);
  ledger.save();

  const outcome = await runOnHosts(ctx, {
    hosts,
    args: ['rollback', '--yes', '--json', '--reason', req.reason ?? `fleet rollback (${of.id})`],
    resultsDir: join(ledger.paths.runsDir, run.id, name),
    logFile: join(ledger.paths.runsDir, run.id, `${name}.log`),
    maxFailPercentage: 100,
    statusAfter: true,
  });
  const wave = run.waves[0] as FleetRun['waves'][number];
  const result: FleetRollbackResult = { run, of, selected: hosts, reverted: [], failed: [], exitCode: 0 };
  for (const h of hosts) {
    const hostResult = outcome.results.get(h);
    if (!hostResult) continue;
    const entry = await recordHost(state, {
      run,
      host: h,
      workspace: ctx.inventory.hosts.find((x) => x.name === h)?.workspace ?? state.hosts[h]?.workspace ?? '',
      wave: name,
      result: hostResult,
      judged: judgeRollback(hostResult, outcome.playbook.recap[h]),
      root: ws.root,
      at: now(),
    });
    if (entry.outcome === 'reverted') {
      wave.applied.push(h);
      result.reverted.push(h);
    } else {
      wave.failed.push(h);
      result.failed.push({ host: h, outcome: entry.outcome, message: entry.message });
    }
    onHost?.(h, entry);
  }
  wave.status = outcome.playbook.interrupted ? 'interrupted' : 'succeeded';
  wave.endedAt = now().toISOString();
  run.status = outcome.playbook.interrupted ? 'interrupted' : result.failed.length ? 'failed' : 'succeeded';
  run.endedAt = now().toISOString();

  // The phase run's waves: reverted hosts no longer count as applied; a wave left with none
  // is rolled back, and the run is unfinished again so `fleet resume` starts there.
  const reverted = new Set(result.reverted);
  for (const w of of.waves) {
    const before = w.applied.length;
    w.applied = w.applied.filter((h) => !reverted.has(h));
    if (before > 0 && w.applied.length === 0 && w.status !== 'pending') w.status = 'rolled-back';
  }
  if (of.status === 'succeeded' && of.waves.some((w) => w.status === 'rolled-back')) of.status = 'stopped';
  ledger.save();
  result.exitCode = result.failed.some((f) => f.outcome === 'needs-person')
    ? 3
    : result.failed.length
      ? 1
      : 0;
  return result;
}
