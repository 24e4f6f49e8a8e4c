import { InputError, InterruptedError } from '../core/errors.js';
import { fleetPaths } from '../fleet/ledger.js';
import { hostLine, rollbackLines } from '../fleet/report-human.js';
import { runFleetRollback } from '../fleet/rollback.js';
import type { CommandContext } from './context.js';
import { type FleetCommandOptions, loadFleet, withFleetLedger } from './fleet-setup.js';

export interface FleetRollbackOptions extends FleetCommandOptions {
  wave?: string;
  hosts?: string;
  all?: boolean;
  reason?: string;
}

/** `fleet rollback --wave NAME | --hosts PATTERN | --all`. */
export async function run(ctx: CommandContext, options: FleetRollbackOptions): Promise<number> {
  const chosen = [options.wave !== undefined, options.hosts !== undefined, Boolean(options.all)].filter(
    Boolean,
  ).length;
  if (chosen !== 1)
    throw new InputError('say which hosts to roll back: exactly one of --wave NAME, --hosts PATTERN, --all');
  ctx.handleSignals();
  const { fleet } = await loadFleet(ctx, options, fleetPaths(ctx.ws).packDir);
  return withFleetLedger(ctx, async (ledger) => {
    const result = await runFleetRollback(
      fleet,
      ledger,
      ctx.ws,
      {
        select: {
          ...(options.wave !== undefined ? { wave: options.wave } : {}),
          ...(options.hosts !== undefined ? { hosts: options.hosts } : {}),
          ...(options.all ? { all: true } : {}),
        },
        ...(options.reason ? { reason: options.reason } : {}),
        command: ctx.commandLine,
      },
      (host, r) => ctx.out.say(hostLine(ctx.out.c, host, r)),
    );
    if (ctx.out.json) {
      ctx.out.data({
        ok: result.exitCode === 0,
        exitCode: result.exitCode,
        run: result.run?.id ?? null,
        of: result.of?.id ?? null,
        phase: result.of?.phase ?? null,
        selected: result.selected,
        reverted: result.reverted,
        failed: result.failed,
      });
    } else for (const line of rollbackLines(ctx.out.c, result)) ctx.out.say(line);
    if (ctx.signal.aborted) throw new InterruptedError(ctx.interruptedBy() ?? 'SIGINT');
    return result.exitCode;
  });
}
