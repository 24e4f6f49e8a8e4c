import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Workspace } from '../core/workspace.js';
import { backupDir, compareIds, manifestFile, parseBackupId } from './layout.js';
import type { FileEntry } from './manifest.js';
import { entryProblem } from './manifest-format.js';

/**
 * The backup an incremental one links against: the newest complete backup of the same system,
 * taken from the same path as the same kind (a snapshot of `restore --to` elsewhere, or a plan
 * whose path changed, does not count). Its manifest says size, mtime, mode and owner of every
 * file; a source file equal on all of them is linked, not copied (rsync's quick check).
 *
 * Only the newest few manifests of the system are read, not the whole folder (`listBackups`
 * hashes every manifest, which costs more than the linking saves). The previous manifest is
 * used only as a lookup table keyed by paths of the current walk, which are safe by
 * construction, so its entries need the field checks, not the full restore-grade parse.
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
  let names: string[];
  try {
    names = await readdir(ws.backupsDir);
  } catch {
    return undefined;
  }
  const ids = names
    .filter((n) => parseBackupId(n)?.system === system)
    .sort(compareIds)
    .reverse();
  for (const id of ids.slice(0, 5)) {
    const m = await readLoosely(ws, id);
    if (!m || m.id !== id || m.source !== source || m.sourceType !== sourceType) continue;
    const files = new Map<string, FileEntry>();
    for (const e of m.entries) if (e?.type === 'file' && entryProblem(e) === undefined) files.set(e.path, e);
    return { id, dir: backupDir(ws, id), files };
  }
  return undefined;
}

async function readLoosely(
  ws: Workspace,
  id: string,
): Promise<{ id: unknown; source: unknown; sourceType: unknown; entries: FileEntry[] } | undefined> {
  try {
    const m = JSON.parse(await readFile(manifestFile(ws, id), 'utf8'));
    return Array.isArray(m?.entries) ? m : undefined;
  } catch {
    return undefined;
  }
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

export const previousData = (prev: Previous) => join(prev.dir, 'data');
