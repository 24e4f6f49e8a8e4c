import type { Workspace } from '../core/workspace.js';
import type { FileEntry } from './manifest.js';
import { listBackups, readManifest } from './store.js';

/**
 * The backup an incremental one links against: the newest complete backup of the same system,
 * taken from the same path as the same kind (a snapshot of `restore --to` elsewhere, or a plan
 * whose path changed, does not count). Its manifest says size, mtime, mode and owner of every
 * file; a source file equal on all four is linked, not copied (rsync's quick check).
 */
export interface Previous {
  id: string;
  dir: string;
  files: Map<string, FileEntry>;
}

export async function findPrevious(
  ws: Workspace,
  system: string,
  source: string,
  sourceType: 'dir' | 'file',
): Promise<Previous | undefined> {
  const candidates = (await listBackups(ws))
    .filter((b) => b.system === system && !b.damaged && b.source === source && b.sourceType === sourceType)
    .reverse();
  for (const b of candidates) {
    const read = await readManifest(ws, b.id);
    if (!read.ok) continue;
    const files = new Map<string, FileEntry>();
    for (const e of read.manifest.entries) if (e.type === 'file') files.set(e.path, e);
    return { id: b.id, dir: b.dir, files };
  }
  return undefined;
}

export function unchanged(
  prev: FileEntry | undefined,
  e: { size: number; mtimeMs: number; mode: number; uid: number; gid: number },
): prev is FileEntry {
  return (
    prev !== undefined &&
    prev.size === e.size &&
    prev.mtimeMs === e.mtimeMs &&
    prev.mode === e.mode &&
    (prev.uid === undefined || prev.uid === e.uid) &&
    (prev.gid === undefined || prev.gid === e.gid)
  );
}
