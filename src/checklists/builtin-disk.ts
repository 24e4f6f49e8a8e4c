import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatBytes } from '../core/clock.js';
import type { Check } from '../plan/types.js';
import { sizeOf } from './sizes.js';
import type { ChecklistContext } from './types.js';
import { error, fail, pass, type Verdict } from './verdict.js';

type BuiltinCheck = Extract<Check, { kind: 'builtin' }>;

/**
 * `disk_space`: free space where backups go ≥ `factor` (default 2) × the size of the systems
 * this phase backs up — room for the backup plus the snapshot a rollback takes first.
 */
export async function diskSpace(check: BuiltinCheck, ctx: ChecklistContext): Promise<Verdict> {
  const systems = ctx.phase.backup.map((name) => ctx.plan.systems[name]).filter((s) => s !== undefined);
  if (systems.length === 0) return pass(`phase ${ctx.phase.id} backs up nothing; no space needed`);
  let total = 0;
  try {
    for (const estimate of await Promise.all(systems.map((s) => sizeOf(ctx, s)))) total += estimate.bytes;
  } catch (err) {
    return error(`cannot size the backups: ${(err as Error).message}`);
  }
  const need = Math.ceil(total * check.factor);
  const where = await existingAncestor(ctx.ws.backupsDir);
  let free: number;
  try {
    const fs = await statfs(where);
    free = fs.bavail * fs.bsize;
  } catch (err) {
    return error(`cannot read free space of ${where}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const sum = `${check.factor} × ${formatBytes(total)} (${systems.map((s) => s.name).join(', ')}) = ${formatBytes(need)}`;
  return free >= need
    ? pass(`${formatBytes(free)} free on ${where}; needs ${sum}`)
    : fail(`only ${formatBytes(free)} free on ${where}; needs ${sum} — free some space or prune old backups`);
}

/** backups/ may not exist yet; its file system is the one of its nearest existing parent. */
async function existingAncestor(path: string): Promise<string> {
  let dir = path;
  for (;;) {
    try {
      await statfs(dir);
      return dir;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return dir;
      dir = parent;
    }
  }
}
