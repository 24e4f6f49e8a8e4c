import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, InterruptedError } from '../core/errors.js';
import { writeJUnit } from '../core/junit.js';
import { fleetGate, fleetGateSuites } from '../fleet/gate.js';
import { selectHosts } from '../fleet/inventory.js';
import { fleetPaths, readFleetState } from '../fleet/ledger.js';
import { gateLines } from '../fleet/report-human.js';
import { type CommandContext, parsePhaseId } from './context.js';
import { type FleetCommandOptions, loadFleet } from './fleet-setup.js';

export interface FleetGateOptions extends FleetCommandOptions {
  wave?: string;
  hosts?: string;
  phase?: string;
  deep?: boolean;
  junit?: string;
}

/** `fleet gate`: the CI gate on every host of a wave (or of the fleet); exit 0 only if all pass. */
export async function run(ctx: CommandContext, options: FleetGateOptions): Promise<number> {
  const phase = options.phase !== undefined ? parsePhaseId(options.phase, '--phase') : undefined;
  ctx.handleSignals();
  const tmp = await mkdtemp(join(tmpdir(), 'gnr-migrate-fleet-pack-'));
  try {
    const { inventory, fleet } = await loadFleet(ctx, options, tmp);
    let hosts = inventory.hosts.map((h) => h.name);
    if (options.wave !== undefined) {
      const state = await readFleetState(fleetPaths(ctx.ws));
      const run = [...state.runs]
        .reverse()
        .find((r) => r.kind === 'phase' && r.waves.some((w) => w.name === options.wave));
      const wave = run?.waves.find((w) => w.name === options.wave);
      if (!wave) throw new InputError(`--wave ${options.wave}: no such wave in the fleet ledger`);
      hosts = wave.hosts;
    } else if (options.hosts !== undefined) {
      hosts = selectHosts(inventory, options.hosts, '--hosts');
    }
    const report = await fleetGate(fleet, hosts, {
      ...(phase !== undefined ? { phase } : {}),
      acks: options.ack ?? [],
      ...(options.deep ? { deep: true } : {}),
    });
    if (ctx.signal.aborted) throw new InterruptedError(ctx.interruptedBy() ?? 'SIGINT');
    if (options.junit)
      await writeJUnit(resolve(options.junit), fleetGateSuites(report), 'gnr-migrate fleet gate');
    if (ctx.out.json)
      ctx.out.data({
        ok: report.ok,
        exitCode: report.exitCode,
        phase: report.phase ?? null,
        hosts: report.hosts,
      });
    else {
      for (const line of gateLines(ctx.out.c, report)) ctx.out.say(line);
      if (options.junit) ctx.out.say(ctx.out.c.dim(`JUnit report: ${options.junit}`));
    }
    return report.exitCode;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
