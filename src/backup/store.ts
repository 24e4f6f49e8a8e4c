import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import {
  assertBackupId,
  backupDir,
  backupsDirNames,
  compareIds,
  manifestFile,
  parseBackupId,
} from './layout.js';
import type { ManifestHeader } from './manifest.js';
import { parseManifestHeader } from './manifest-format.js';
import type { BackupInfo } from './types.js';

/** Reading what is in `backups/`: the complete backups and their manifests. */

/** Complete backups (a folder named like an id, holding manifest.json), oldest first. */
export async function listBackups(ws: Workspace): Promise<BackupInfo[]> {
  const names = await backupsDirNames(ws);
  const ids = names.filter((n) => !n.startsWith('.') && parseBackupId(n)).sort(compareIds);
  const infos = await Promise.all(ids.map((id) => loadInfo(ws, id)));
  return infos.filter((i): i is BackupInfo => i !== undefined).sort(byAge);
}

/**
 * For verify and restore, which read the whole manifest anyway: an unknown id is exit 2 (via
 * readBackup's message) without reading and hashing the manifest twice.
 */
export async function assertBackupExists(ws: Workspace, id: string): Promise<void> {
  assertBackupId(id);
  if (!existsSync(manifestFile(ws, id))) await readBackup(ws, id);
}

/** One backup by id; an unknown id is exit 2, naming the ids that system has. */
export async function readBackup(ws: Workspace, id: string): Promise<BackupInfo> {
  const parsed = assertBackupId(id);
  const info = await loadInfo(ws, id);
  if (info) return info;
  const known = (await listBackups(ws)).filter((b) => b.system === parsed.system).map((b) => b.id);
  throw new InputError(
    `no backup ${id} in ${ws.backupsDir}` +
      (known.length
        ? ` (backups of ${parsed.system}: ${known.join(', ')})`
        : ` (there is no backup of ${parsed.system}; \`gnr-migrate backup list\` shows them all)`),
  );
}

export function infoFromHeader(ws: Workspace, h: ManifestHeader, manifestHash: string): BackupInfo {
  return {
    id: h.id,
    system: h.system,
    dir: backupDir(ws, h.id),
    source: h.source,
    sourceType: h.sourceType,
    phase: h.phase,
    runId: h.runId,
    createdAt: h.createdAt,
    files: h.totals.files,
    bytes: h.totals.bytes,
    manifestHash,
    previous: h.previous,
    linkedFiles: h.totals.linkedFiles,
  };
}

async function loadInfo(ws: Workspace, id: string): Promise<BackupInfo | undefined> {
  let read: { hash: string; head: string; whole: boolean };
  try {
    read = hashAndHead(manifestFile(ws, id));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return damaged(ws, id, `cannot read manifest.json (${code})`, '');
  }
  const { hash } = read;
  // The header is in the first bytes in our layout; a file reformatted by hand is read whole.
  let parsed = await parseManifestHeader(read.head, !read.whole);
  if (!parsed.ok && !read.whole)
    parsed = await parseManifestHeader((await readFile(manifestFile(ws, id))).toString('utf8'));
  if (!parsed.ok) return damaged(ws, id, parsed.problems.join('; '), hash);
  if (parsed.value.id !== id) return damaged(ws, id, `manifest.json names backup ${parsed.value.id}`, hash);
  return infoFromHeader(ws, parsed.value, hash);
}

const headBytes = 256 * 1024;

/**
 * The sha256 of a manifest, read a MiB at a time, and its first bytes (where the header is):
 * `list`, `status` and `prune` need no entries, and a million-entry manifest read whole, for
 * each backup at once, was most of prune's 600 MB.
 */
function hashAndHead(path: string): { hash: string; head: string; whole: boolean } {
  const fd = openSync(path, 'r');
  try {
    const sha = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    let head = '';
    let total = 0;
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
      if (total < headBytes) head += buf.toString('utf8', 0, Math.min(n, headBytes - total));
      sha.update(buf.subarray(0, n));
      total += n;
    }
    return { hash: sha.digest('hex'), head, whole: total <= headBytes };
  } finally {
    closeSync(fd);
  }
}

/**
 * A backup folder whose manifest cannot be read is still listed (so `verify` and `prune` see
 * it), marked damaged, with what its id tells.
 */
function damaged(ws: Workspace, id: string, problem: string, hash: string): BackupInfo {
  const parsed = parseBackupId(id)!;
  return {
    id,
    system: parsed.system,
    dir: backupDir(ws, id),
    source: '',
    sourceType: 'dir',
    phase: null,
    runId: null,
    createdAt: '',
    files: 0,
    bytes: 0,
    manifestHash: hash,
    damaged: problem,
  };
}

function byAge(a: BackupInfo, b: BackupInfo): number {
  if (a.createdAt && b.createdAt && a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return compareIds(a.id, b.id);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
