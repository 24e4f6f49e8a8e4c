import { type Clock, systemClock } from '../core/clock.js';
import type { Workspace } from '../core/workspace.js';
import type { System } from '../plan/types.js';
import { freeId } from './create.js';
import { unchanged } from './file-ops.js';
import { assertSystemName, backupDir } from './layout.js';
import { findPrevious } from './previous.js';
import { scanSource, sourcePath } from './source.js';
import type { SizeEstimate } from './types.js';

/**
 * What a backup of the system would hold and where it would go, for `phase --dry-run` and the
 * disk_space check: the same walk and excludes as a real backup, no copy, nothing written.
 */
export async function estimateBackup(
  ws: Workspace,
  system: System,
  clock: Clock = systemClock,
): Promise<SizeEstimate> {
  assertSystemName(system.name);
  const destination = backupDir(ws, freeId(ws, system.name, clock.now()));
  const scan = await scanSource(ws, system, { statFiles: true });
  if (!scan)
    return {
      system: system.name,
      source: sourcePath(ws, system),
      exists: false,
      files: 0,
      bytes: 0,
      destination,
    };
  const previous = await findPrevious(ws, system.name, scan.source, scan.sourceType);
  let files = 0;
  let bytes = 0;
  let unchangedFiles = 0;
  let unchangedBytes = 0;
  for (const e of scan.entries) {
    if (e.type !== 'file' || !e.st) continue;
    files++;
    bytes += e.st.size;
    if (unchanged(previous?.files.get(e.path), e.st)) {
      unchangedFiles++;
      unchangedBytes += e.st.size;
    }
  }
  return {
    system: system.name,
    source: scan.source,
    exists: true,
    files,
    bytes,
    destination,
    unchangedFiles,
    unchangedBytes,
    skipped: scan.skipped.length,
  };
}
