import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterruptedError } from '../core/errors.js';
import { fleetDryRun } from '../fleet/dry-run.js';
import type { FleetContext } from '../fleet/hosts-run.js';
import type { Inventory } from '../fleet/inventory.js';
import { fleetPaths } from '../fleet/ledger.js';
import { dryRunLines, hostLine, phaseSummary, waveEnd, waveHeader } from '../fleet/report-human.js';
import {
  type FleetPhaseRequest,
  type FleetPhaseResult,
  runFleetPhase,
  type WaveListener,
} from '../fleet/run-waves.js';
import { parseSerial, planWaves } from '../fleet/waves.js';
import type { Plan } from '../plan/types.js';
import type { Output } from '../ui/output.js';
import { type CommandContext, parsePhaseId } from './context.js';
import { type FleetCommandOptions, loadFleet, withFleetLedger } from './fleet-setup.js';

export interface FleetPhaseOptions extends FleetCommandOptions {
  dryRun?: boolean;
  waves?: string;
  maxFailPercentage?: number;
}

/** `fleet phase <id> [--dry-run]`: the waves through Ansible, or every host's dry-run. */
export async function run(ctx: CommandContext, idText: string, options: FleetPhaseOptions): Promise<number> {
  const phase = parsePhaseId(idText);
  const serial = options.waves !== undefined ? parseSerial(options.waves) : undefined;
  ctx.handleSignals();
  const layoutOf = (plan: Plan, inventory: Inventory) =>
    planWaves(inventory, {
      ...(plan.fleet ? { fleet: plan.fleet } : {}),
      ...(serial ? { serial } : {}),
      ...(options.maxFailPercentage !== undefined ? { maxFailPercentage: options.maxFailPercentage } : {}),
    });
  if (options.dryRun) {
    // The dry-run leaves the controller's workspace as it was: the tarball is packed in a temp folder.
    const tmp = await mkdtemp(join(tmpdir(), 'gnr-migrate-fleet-pack-'));
    try {
      const { plan, inventory, fleet } = await loadFleet(ctx, options, tmp);
      const layout = layoutOf(plan, inventory);
      ctx.out.say(
        ctx.out.c.dim(
          `running phase ${phase} --dry-run on ${layout.waves.flatMap((w) => w.hosts).length} hosts…`,
        ),
      );
      const report = await fleetDryRun(fleet, phase, layout, options.ack ?? []);
      if (ctx.signal.aborted) throw new InterruptedError(ctx.interruptedBy() ?? 'SIGINT');
      if (ctx.out.json) ctx.out.data({ ok: report.wouldProceed, dryRun: true, ...report });
      else for (const line of dryRunLines(ctx.out.c, report)) ctx.out.say(line);
      return report.wouldProceed ? 0 : 1;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  const { plan, inventory, fleet } = await loadFleet(ctx, options, fleetPaths(ctx.ws).packDir);
  const layout = layoutOf(plan, inventory);
  if (layout.outside.length) ctx.out.warn(`in no wave, left alone: ${layout.outside.join(', ')}`);
  return runWaves(ctx, fleet, { phase, layout, acks: options.ack ?? [], command: ctx.commandLine });
}

/** Runs the waves of a fleet phase run, a new one or a resumed one, saying each wave as it goes. */
export function runWaves(ctx: CommandContext, fleet: FleetContext, req: FleetPhaseRequest): Promise<number> {
  return withFleetLedger(ctx, async (ledger) =>
    finish(ctx, await runFleetPhase(fleet, ledger, ctx.ws, req, waveListener(ctx.out))),
  );
}

function waveListener(out: Output): WaveListener {
  return {
    waveStarted: (wave, index, count, toRun) => {
      out.say(waveHeader(out.c, wave, index, count, toRun));
      if (toRun.length) out.say(out.c.dim(`  running on ${toRun.join(', ')}…`));
    },
    hostDone: (host, r) => out.say(hostLine(out.c, host, r)),
    waveEnded: (wave) => {
      const line = waveEnd(out.c, wave);
      if (line) out.say(line);
    },
  };
}

function finish(ctx: CommandContext, result: FleetPhaseResult): number {
  if (ctx.out.json) {
    ctx.out.data({
      ok: result.exitCode === 0,
      exitCode: result.exitCode,
      run: result.run.id,
      phase: result.run.phase,
      status: result.run.status,
      stoppedAt: result.stoppedAt ?? null,
      applied: result.applied,
      failed: result.failed,
      skipped: result.skipped,
      notStarted: result.notStarted,
      waves: result.run.waves,
      dir: result.run.dir,
    });
  } else {
    for (const line of phaseSummary(ctx.out.c, result)) ctx.out.say(line);
  }
  if (result.interrupted) throw new InterruptedError(ctx.interruptedBy() ?? 'SIGINT');
  return result.exitCode;
}
