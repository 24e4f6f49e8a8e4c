import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stampDash } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';

/**
 * Names under `backups/`: `<system>_<YYYYMMDD-HHMMSS>[-N]` for complete backups; everything a
 * run writes before it is complete starts with a dot (`.tmp-<pid>-...`, `.restore-<pid>-...`)
 * so `list` and `status` never count it, and the pid lets the next run tell a leftover of a
 * killed run from the work of a live one.
 */

const idPattern = /^([A-Za-z0-9][A-Za-z0-9._-]*)_(\d{8}-\d{6})(?:-(\d+))?$/;

export interface ParsedId {
  system: string;
  stamp: string;
  /** 1 for the first backup of a second, 2 for `-2`... */
  seq: number;
}

export function parseBackupId(id: string): ParsedId | undefined {
  const m = idPattern.exec(id);
  if (!m) return undefined;
  return { system: m[1]!, stamp: m[2]!, seq: m[3] ? Number(m[3]) : 1 };
}

/** Throws exit 2 for anything that is not a backup id (so `restore ../../etc` never reaches a path). */
export function assertBackupId(id: string): ParsedId {
  const parsed = parseBackupId(id);
  if (!parsed)
    throw new InputError(
      `"${id}" is not a backup id (expected <system>_<YYYYMMDD-HHMMSS>, as \`backup list\` shows)`,
    );
  return parsed;
}

export function assertSystemName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new InputError(
      `system name "${name}" cannot name a backup folder: use letters, digits, ".", "_" and "-"`,
    );
}

export function backupIdFor(system: string, at: Date, seq: number): string {
  return `${system}_${stampDash(at)}${seq > 1 ? `-${seq}` : ''}`;
}

/** Oldest first: by stamp, then by the same-second sequence number. */
export function compareIds(a: string, b: string): number {
  const pa = parseBackupId(a);
  const pb = parseBackupId(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.stamp !== pb.stamp) return pa.stamp < pb.stamp ? -1 : 1;
  return pa.seq - pb.seq;
}

export const backupDir = (ws: Workspace, id: string) => join(ws.backupsDir, id);
export const dataDir = (ws: Workspace, id: string) => join(ws.backupsDir, id, 'data');
export const manifestFile = (ws: Workspace, id: string) => join(ws.backupsDir, id, 'manifest.json');

export const tmpPrefix = '.tmp-';
export const journalPrefix = '.restore-';

/** `.tmp-<pid>-<what>`: a backup being built, or one being deleted. */
export function tmpName(what: string, pid = process.pid): string {
  return `${tmpPrefix}${pid}-${what}`;
}

/** The pid a temporary name was made by, if it has one. */
export function pidOfTemporary(name: string): number | undefined {
  const m = /^\.(?:tmp|restore)-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** `a/b` → `a/b` joined under root with the platform separator (POSIX here, so as is). */
export function under(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`;
}

/** The names in `backups/`; none when it does not exist yet. */
export async function backupsDirNames(ws: Workspace): Promise<string[]> {
  try {
    return await readdir(ws.backupsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
