import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Workspace } from '../core/workspace.js';
import { backupDir, tmpName } from './layout.js';
import { removeTree } from './remove.js';
import { listBackups } from './store.js';

export interface PruneOptions {
  /** Newest backups kept per system. */
  keep: number;
  /** Backups never deleted, with the reason (see protect.ts). */
  protect: Map<string, string>;
  dryRun: boolean;
}

export interface PruneResult {
  deleted: string[];
  kept: { id: string; reason: string }[];
}

/**
 * Keeps the newest `keep` backups of each system and every protected one; deletes the rest.
 * A deletion first renames the backup to `.tmp-<pid>-delete-<id>` (gone from `list` at once,
 * and cleaned by the next run if this one is killed). Deleting an older backup never harms a
 * newer one: shared files are hard links, each a full name of the same data.
 */
export async function pruneBackups(ws: Workspace, opts: PruneOptions): Promise<PruneResult> {
  const bySystem = new Map<string, string[]>();
  for (const b of await listBackups(ws)) bySystem.set(b.system, [...(bySystem.get(b.system) ?? []), b.id]);
  const result: PruneResult = { deleted: [], kept: [] };
  for (const ids of bySystem.values()) {
    const newestFirst = [...ids].reverse();
    newestFirst.forEach((id, i) => {
      const reason = opts.protect.get(id);
      if (i < opts.keep) result.kept.push({ id, reason: `one of the newest ${opts.keep}` });
      else if (reason) result.kept.push({ id, reason });
      else result.deleted.push(id);
    });
  }
  if (!opts.dryRun) {
    for (const id of result.deleted) {
      const doomed = join(ws.backupsDir, tmpName(`delete-${id}`));
      await rename(backupDir(ws, id), doomed);
      await removeTree(doomed);
    }
  }
  return result;
}
