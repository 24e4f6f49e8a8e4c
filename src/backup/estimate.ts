import { type Clock, systemClock } from '../core/clock.js';
import type { Workspace } from '../core/workspace.js';
import type { System } from '../plan/types.js';
import { freeId } from './create.js';
import { unchanged } from './file-ops.js';
import { assertSystemName, backupDir } from './layout.js';
import { joinByPath } from './order.js';
import { findPreviousRef, openPrevious } from './previous.js';
import { alone, sourcePath, streamSource } from './source.js';
import type { SizeEstimate } from './types.js';

/**
 * What a backup of the system would hold and where it would go, for `phase --dry-run` and the
 * disk_space check: the same walk and excludes as a real backup, no copy, nothing written,
 * the previous backup's manifest read beside the walk (fill.ts does the same).
 */
export async function estimateBackup(
  ws: Workspace,
  system: System,
  clock: Clock = systemClock,
): Promise<SizeEstimate> {
  assertSystemName(system.name);
  const destination = backupDir(ws, freeId(ws, system.name, clock.now()));
  const src = streamSource(ws, system, { statFiles: true });
  if (!src)
    return {
      system: system.name,
      source: sourcePath(ws, system),
      exists: false,
      files: 0,
      bytes: 0,
      destination,
    };
  const ref = await findPreviousRef(ws, system.name, src.source, src.sourceType);
  const previous = await openPrevious(ws, ref);
  let files = 0;
  let bytes = 0;
  let unchangedFiles = 0;
  let unchangedBytes = 0;
  const pairs = previous ? joinByPath(src.batches, previous.reader.batches()) : alone(src.batches);
  for await (const batch of pairs)
    for (const [e, prev] of batch) {
      if (e?.type !== 'file' || !e.st) continue;
      files++;
      bytes += e.st.size;
      if (prev?.type === 'file' && unchanged(prev, e.st)) {
        unchangedFiles++;
        unchangedBytes += e.st.size;
      }
    }
  return {
    system: system.name,
    source: src.source,
    exists: true,
    files,
    bytes,
    destination,
    unchangedFiles,
    unchangedBytes,
    skipped: src.summary.skipped.length,
  };
}
