import { protectedBackups, pruneBackups } from '../backup/index.js';
import { currentUser } from '../core/host.js';
import { acquireLock, describeHolder } from '../ledger/lock.js';
import { readState } from '../ledger/state.js';
import { stopOrphanSteps } from '../phases/session.js';
import { type CommandContext, requireWorkspace } from './context.js';

/**
 * `backup prune --keep N [--dry-run]`: keeps the newest N per system and whatever the ledger
 * says a rollback may still need (protect.ts), deletes the rest, and says why it kept each.
 */
export async function run(ctx: CommandContext, options: { keep: number; dryRun?: boolean }): Promise<number> {
  const { out, ws } = ctx;
  const dryRun = Boolean(options.dryRun);
  if (!dryRun) requireWorkspace(ctx);
  // A dry run writes nothing, so it does not take the lock either.
  const lock = dryRun
    ? undefined
    : await acquireLock(ws, {
        command: ctx.commandLine,
        user: currentUser(),
        onTakeover: (prev) => out.warn(`took over a stale lock: ${describeHolder(prev)} is gone`),
      });
  try {
    const state = await readState(ws);
    if (lock) await stopOrphanSteps(state, lock.info, out);
    const protect = protectedBackups(state);
    const result = await pruneBackups(ws, { keep: options.keep, protect, dryRun });
    if (out.json) {
      out.data({ ok: true, dryRun, ...result });
      return 0;
    }
    for (const k of result.kept) out.say(`  keep    ${k.id}  ${out.c.dim(k.reason)}`);
    for (const id of result.deleted) out.say(`  ${dryRun ? 'would delete' : 'deleted'} ${id}`);
    out.say(
      result.deleted.length === 0
        ? 'Nothing to delete.'
        : `${dryRun ? 'Would delete' : 'Deleted'} ${result.deleted.length} backup(s), kept ${result.kept.length}.`,
    );
    return 0;
  } finally {
    await lock?.release();
  }
}
