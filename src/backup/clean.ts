import { join } from 'node:path';
import { pidAlive } from '../core/host.js';
import type { Workspace } from '../core/workspace.js';
import { backupsDirNames, journalPrefix, pidOfTemporary, tmpPrefix } from './layout.js';
import { removeTree } from './remove.js';
import { recoverSwap } from './swap.js';

/**
 * Removes what killed runs left in `backups/`: half-built backups and half-deleted ones
 * (`.tmp-<pid>-*`), and finishes or undoes interrupted restores (`.restore-<pid>-*.json`, see
 * swap.ts). Work of a live process (this one included) is left alone. Returns one line per
 * thing done, for the operator.
 */
export async function cleanTemporaries(ws: Workspace): Promise<string[]> {
  const names = await backupsDirNames(ws);
  const done: string[] = [];
  for (const name of names.sort()) {
    const isTmp = name.startsWith(tmpPrefix);
    const isJournal = name.startsWith(journalPrefix) && name.endsWith('.json');
    if (!isTmp && !isJournal) continue;
    const pid = pidOfTemporary(name);
    if (pid === undefined || pid === process.pid || pidAlive(pid)) continue;
    const path = join(ws.backupsDir, name);
    if (isTmp) {
      await removeTree(path);
      done.push(`removed ${path}, left by a backup that was stopped (pid ${pid})`);
    } else {
      done.push(await recoverSwap(path));
    }
  }
  return done;
}
