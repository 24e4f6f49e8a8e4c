import { describeHolder, unlock } from '../ledger/lock.js';
import type { CommandContext } from './context.js';

export async function run(ctx: CommandContext, options: { force?: boolean }): Promise<number> {
  const { out, ws } = ctx;
  const result = await unlock(ws, Boolean(options.force));
  if (out.json) {
    out.data({ removed: result.removed, holder: result.holder ?? null, holderState: result.state ?? null });
    return 0;
  }
  if (!result.removed) out.say('The workspace is not locked.');
  else if (result.holder) out.say(`Removed the lock of ${describeHolder(result.holder)} (${result.state}).`);
  else out.say(`Removed the unreadable lock ${ws.lockFile}.`);
  if (result.removed)
    out.say(
      'If a run was cut off, `gnr-migrate status` shows it; settle it with `rollback` or `phase <id> --resume`.',
    );
  return 0;
}
