import { fleetKpis } from '../fleet/kpis.js';
import { fleetPaths, readFleetState } from '../fleet/ledger.js';
import { statusLines } from '../fleet/report-human.js';
import { type CommandContext, parsePhaseId } from './context.js';

/** `fleet status`: read from the fleet ledger only (no host is contacted, no lock taken). */
export async function run(ctx: CommandContext, options: { phase?: string }): Promise<number> {
  const state = await readFleetState(fleetPaths(ctx.ws));
  const kpis = fleetKpis(
    state,
    options.phase !== undefined ? parsePhaseId(options.phase, '--phase') : undefined,
  );
  if (ctx.out.json) {
    const last = [...state.runs].reverse().find((r) => r.kind === 'phase');
    ctx.out.data({
      hosts: Object.fromEntries(
        Object.entries(state.hosts).map(([name, h]) => [
          name,
          {
            workspace: h.workspace,
            phase: h.phase,
            wave: h.wave ?? null,
            lastRun: h.runs[h.runs.length - 1] ?? null,
          },
        ]),
      ),
      lastRun: last ? { id: last.id, phase: last.phase, status: last.status, waves: last.waves } : null,
      runs: state.runs.map((r) => ({
        id: r.id,
        kind: r.kind,
        phase: r.phase,
        status: r.status,
        startedAt: r.startedAt,
        endedAt: r.endedAt ?? null,
      })),
      kpis,
      successScore: kpis.successScore,
    });
  } else {
    for (const line of statusLines(ctx.out.c, state, kpis)) ctx.out.say(line);
  }
  return 0;
}
