import { fleetPaths, readFleetState } from '../fleet/ledger.js';
import type { CommandContext } from './context.js';
import { runWaves } from './fleet-phase.js';
import { type FleetCommandOptions, loadFleet } from './fleet-setup.js';

export interface FleetResumeOptions extends FleetCommandOptions {
  maxFailPercentage?: number;
}

/** `fleet resume`: the last fleet phase run, from its first unfinished wave. */
export async function run(ctx: CommandContext, options: FleetResumeOptions): Promise<number> {
  ctx.handleSignals();
  const state = await readFleetState(fleetPaths(ctx.ws));
  const last = [...state.runs].reverse().find((r) => r.kind === 'phase');
  if (last && last.status === 'succeeded') {
    if (ctx.out.json) ctx.out.data({ ok: true, run: last.id, status: last.status, resumed: false });
    else
      ctx.out.say(
        `${ctx.out.c.green('✓')} nothing to resume: ${last.id} (phase ${last.phase}) finished every wave`,
      );
    return 0;
  }
  const { fleet } = await loadFleet(ctx, options, fleetPaths(ctx.ws).packDir);
  return runWaves(ctx, fleet, {
    phase: last?.phase ?? -1,
    resume: true,
    acks: options.ack ?? [],
    command: ctx.commandLine,
    ...(options.maxFailPercentage !== undefined ? { maxFailPercentage: options.maxFailPercentage } : {}),
  });
}
