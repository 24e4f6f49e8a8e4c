import { join } from 'node:path';
import { FleetLedger, fleetPaths, readFleetState } from '../fleet/ledger.js';
import { runFleetPhase } from '../fleet/run-waves.js';
import type { CommandContext } from './context.js';
import { finish, waveListener } from './fleet-phase.js';
import type { FleetCommandOptions } from './fleet-setup.js';
import { loadFleet } from './fleet-setup.js';

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
  const { fleet } = await loadFleet(ctx, options, join(fleetPaths(ctx.ws).dir, 'pack'));
  const ledger = await FleetLedger.open(ctx.ws, ctx.commandLine, (note) => ctx.out.warn(note));
  try {
    const result = await runFleetPhase(
      fleet,
      ledger,
      ctx.ws,
      {
        phase: last?.phase ?? -1,
        resume: true,
        acks: options.ack ?? [],
        command: ctx.commandLine,
        ...(options.maxFailPercentage !== undefined ? { maxFailPercentage: options.maxFailPercentage } : {}),
      },
      waveListener(ctx.out),
    );
    return finish(ctx, result);
  } finally {
    await ledger.release();
  }
}
