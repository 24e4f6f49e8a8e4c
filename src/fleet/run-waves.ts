import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InputError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { type FleetContext, runOnHosts } from './hosts-run.js';
import { judgePhase } from './judge.js';
import type { FleetLedger } from './ledger.js';
import { newFleetRunId, recordHost, settleDeadRuns } from './record.js';
import type { FleetRun, FleetWaveRecord, HostRun } from './schema.js';
import { budgetExceeded, type WaveLayout } from './waves.js';

/**
 * `fleet phase <id>` and `fleet resume`: the waves in order, one ansible-playbook run each.
 * After each wave the ledger records every host and the wave's outcome; a wave whose failures
 * exceed its budget (Ansible's max_fail_percentage rule) stops the run, and later waves do not
 * start.
 */

export interface WaveListener {
  waveStarted?(wave: FleetWaveRecord, index: number, count: number, toRun: string[]): void;
  hostDone?(host: string, run: HostRun): void;
  waveEnded?(wave: FleetWaveRecord): void;
}

export interface FleetPhaseRequest {
  phase: number;
  /** The waves of a new run; ignored on resume (the run keeps its waves). */
  layout?: WaveLayout;
  resume?: boolean;
  /** Overrides every wave's budget (on resume too). */
  maxFailPercentage?: number;
  acks: string[];
  command: string;
}

export interface FleetPhaseResult {
  run: FleetRun;
  applied: string[];
  /** Hosts that failed this time, with how (rolled back on the host, blocked, …). */
  failed: { host: string; outcome: HostRun['outcome']; message: string; wave: string }[];
  skipped: string[];
  notStarted: string[];
  /** The wave whose budget was exceeded. */
  stoppedAt?: string;
  interrupted: boolean;
  exitCode: number;
}

const failedOutcomes = new Set<HostRun['outcome']>([
  'rolled-back',
  'blocked',
  'needs-person',
  'unreachable',
  'error',
]);

export async function runFleetPhase(
  ctx: FleetContext,
  ledger: FleetLedger,
  ws: Workspace,
  req: FleetPhaseRequest,
  listener: WaveListener = {},
): Promise<FleetPhaseResult> {
  const { state } = ledger;
  const now = () => ctx.clock.now();
  settleDeadRuns(state, now());

  let run: FleetRun;
  if (req.resume) {
    const last = [...state.runs].reverse().find((r) => r.kind === 'phase');
    if (!last)
      throw new InputError(
        'nothing to resume: no fleet phase run in the ledger (run `gnr-migrate fleet phase <id>`)',
      );
    if (last.phase !== req.phase && req.phase >= 0)
      throw new InputError(`the last fleet run was phase ${last.phase}, not ${req.phase}`);
    run = last;
    run.status = 'running';
    delete run.endedAt;
  } else {
    if (!req.layout) throw new Error('runFleetPhase: a new run needs its waves');
    run = {
      id: newFleetRunId('phase', req.phase, now()),
      kind: 'phase',
      phase: req.phase,
      inventory: ctx.inventory.file,
      command: req.command,
      status: 'running',
      startedAt: now().toISOString(),
      ...(ctx.forks ? { forks: ctx.forks } : {}),
      waves: req.layout.waves.map((w) => ({
        name: w.name,
        hosts: w.hosts,
        maxFailPercentage: w.maxFailPercentage,
        status: 'pending',
        applied: [],
        failed: [],
        skipped: [],
      })),
    };
    state.runs.push(run);
  }
  run.dir = relative(ws.root, join(ledger.paths.runsDir, run.id));
  const phase = run.phase as number;
  const workspaces = new Map(ctx.inventory.hosts.map((h) => [h.name, h.workspace]));
  // Every host of the run is in the ledger from the start, so status counts the whole fleet.
  for (const w of run.waves)
    for (const h of w.hosts) {
      const known = state.hosts[h] ?? { workspace: workspaces.get(h) ?? '', phase: null, runs: [] };
      known.wave = w.name;
      state.hosts[h] = known;
    }
  ledger.save();

  const result: FleetPhaseResult = {
    run,
    applied: [],
    failed: [],
    skipped: [],
    notStarted: [],
    interrupted: false,
    exitCode: 0,
  };

  const unfinished = run.waves.findIndex((w) => w.status !== 'succeeded');
  for (let i = unfinished < 0 ? run.waves.length : unfinished; i < run.waves.length; i++) {
    const wave = run.waves[i] as FleetWaveRecord;
    if (result.stoppedAt || result.interrupted) {
      result.notStarted.push(...wave.hosts);
      continue;
    }
    if (req.maxFailPercentage !== undefined) wave.maxFailPercentage = req.maxFailPercentage;
    for (const h of wave.hosts) {
      if (!workspaces.has(h))
        throw new InputError(`host ${h} of wave ${wave.name} is no longer in ${ctx.inventory.file}`);
    }
    // Hosts the ledger already knows at the phase have nothing to do.
    const skipped = wave.hosts.filter((h) => state.hosts[h]?.phase === phase);
    const toRun = wave.hosts.filter((h) => !skipped.includes(h));
    wave.status = 'running';
    wave.startedAt = now().toISOString();
    wave.applied = wave.applied.filter((h) => state.hosts[h]?.phase === phase);
    wave.failed = [];
    wave.skipped = skipped.filter((h) => !wave.applied.includes(h));
    delete wave.reason;
    ledger.save();
    listener.waveStarted?.(wave, i, run.waves.length, toRun);
    result.skipped.push(...wave.skipped);

    if (toRun.length > 0) {
      // A resumed wave gets a folder of its own: the first attempt's records stay as they were.
      let attempt = wave.name;
      for (let n = 2; existsSync(join(ledger.paths.runsDir, run.id, attempt)); n++)
        attempt = `${wave.name}-${n}`;
      const outcome = await runOnHosts(ctx, {
        hosts: toRun,
        args: ['phase', String(phase), '--yes', '--json', ...req.acks.flatMap((a) => ['--ack', a])],
        resultsDir: join(ledger.paths.runsDir, run.id, attempt),
        logFile: join(ledger.paths.runsDir, run.id, `${attempt}.log`),
        maxFailPercentage: wave.maxFailPercentage,
        statusAfter: true,
      });
      for (const h of toRun) {
        const hostResult = outcome.results.get(h);
        if (!hostResult) continue;
        const judged = judgePhase(hostResult, phase, outcome.playbook.recap[h]);
        const entry = await recordHost(state, {
          run,
          host: h,
          workspace: workspaces.get(h) as string,
          wave: wave.name,
          result: hostResult,
          judged,
          root: ws.root,
          at: now(),
        });
        if (entry.outcome === 'applied') wave.applied.push(h);
        else if (entry.outcome === 'skipped') wave.skipped.push(h);
        else if (failedOutcomes.has(entry.outcome)) {
          wave.failed.push(h);
          result.failed.push({ host: h, outcome: entry.outcome, message: entry.message, wave: wave.name });
        }
        listener.hostDone?.(h, entry);
      }
      result.applied.push(...toRun.filter((h) => wave.applied.includes(h)));
      if (outcome.playbook.interrupted) {
        wave.status = 'interrupted';
        wave.reason = 'interrupted';
        result.interrupted = true;
      } else if (outcome.playbook.error && wave.applied.length === 0) {
        // Ansible itself could not run (not installed, a broken playbook): stop here.
        wave.status = 'stopped';
        wave.reason = outcome.playbook.error;
        result.stoppedAt = wave.name;
      }
    }
    wave.endedAt = now().toISOString();
    if (wave.status === 'running') {
      if (budgetExceeded(wave.failed.length, wave.hosts.length, wave.maxFailPercentage)) {
        wave.status = 'stopped';
        wave.reason = `${wave.failed.length} of ${wave.hosts.length} hosts failed, more than the budget of ${wave.maxFailPercentage}%`;
        result.stoppedAt = wave.name;
      } else {
        wave.status = 'succeeded';
      }
    } else if (wave.status === 'stopped') {
      result.stoppedAt = wave.name;
    }
    ledger.save();
    listener.waveEnded?.(wave);
  }

  run.status = result.interrupted ? 'interrupted' : result.stoppedAt ? 'stopped' : 'succeeded';
  run.endedAt = now().toISOString();
  ledger.save();
  result.exitCode = result.failed.some((f) => f.outcome === 'needs-person')
    ? 3
    : result.failed.length > 0 || result.stoppedAt
      ? 1
      : 0;
  return result;
}
