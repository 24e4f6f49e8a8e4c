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
    // A journal's own atomic-write temp file (`..restore-….json.tmp-<pid>-<rand>`, core/atomic.ts),
    // left by a kill while the journal was written: the journal it was to replace says the rest.
    const atomicTmp = /^\.\..+\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
    const isTmp = name.startsWith(tmpPrefix) || atomicTmp !== null;
    const isJournal = name.startsWith(journalPrefix) && name.endsWith('.json');
    if (!isTmp && !isJournal) continue;
    const pid = atomicTmp ? Number(atomicTmp[1]) : pidOfTemporary(name);
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
