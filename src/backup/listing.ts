import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolVersion } from '../core/version.js';
import type { ManifestHeader } from './manifest.js';
import { entriesKey, entryProblem, headerProblem } from './manifest-format.js';
import type { PreviousBytes } from './previous.js';

/**
 * `.listing` beside a backup's manifest: the sha256 of find's listing of the source it was
 * made from (find-scan.ts), kept only when the manifest's entries are exactly what the listing
 * says — every file copied was as listed when it was read, none vanished.
 *
 * The next backup of the same source lists it again while its link farm is made. The same
 * listing — every name, type, size, mode, owner, link count, inode, mtime and ctime, to the
 * nanosecond; the ctime moves on any write, even one that puts the mtime back — means nothing
 * changed since: the new manifest's entries are the previous one's, taken as bytes, and the
 * link farm is the backup (its folders checked as patch.ts does). Neither listing nor
 * manifest is parsed: for an unchanged tree that parse was most of the work left.
 *
 * Only a cache, bound to the manifest by its hash: missing, stale or odd, the backup is made
 * the usual way. Nothing else reads it; prune removes it with the backup.
 */
export const listingName = '.listing';
const format = 1;

interface Kept {
  format: number;
  /** sha256 of manifest.json */
  manifest: string;
  excludes: string[];
  /** sha256 of find's listing */
  listing: string;
}

export function listingFile(manifestHash: string, excludes: string[], listing: Buffer): string {
  const kept: Kept = { format, manifest: manifestHash, excludes, listing: sha256(listing) };
  return `${JSON.stringify(kept)}\n`;
}

/** What the previous backup's manifest gives the new one when the source did not change. */
export interface Reuse {
  header: ManifestHeader;
  /** The manifest's bytes from `,\n  "entries": [` to its end. */
  body: Buffer;
  /** Its folders, parents first, with their mtimes, for the link farm's check. */
  dirs: Array<{ path: string; mtimeMs: number }>;
}

/** What is kept with a backup about its listing, if anything. */
export function readKeptListing(dir: string): Partial<Kept> | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, listingName), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The previous backup's manifest, when `listing` (of the source now) is the one `kept` with it,
 * for the same excludes, by this version, and the manifest is the one it was kept for.
 */
export function reusable(
  prev: PreviousBytes,
  kept: Partial<Kept>,
  listing: Buffer,
  excludes: string[],
): Reuse | undefined {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  // Compared first: a changed source stops here.
  if (kept.listing !== sha256(listing) || kept.format !== format || kept.manifest !== prev.hash)
    return undefined;
  const cut = prev.bytes.indexOf(entriesKey);
  if (cut < 0) return undefined;
  let header: ManifestHeader;
  try {
    header = JSON.parse(`${prev.bytes.toString('utf8', 0, cut)}\n}`);
  } catch {
    return undefined;
  }
  if (
    headerProblem(header as unknown as Record<string, unknown>) !== undefined ||
    header.id !== prev.id ||
    header.toolVersion !== toolVersion() ||
    !same(kept.excludes, excludes) ||
    !same(header.excludes, excludes)
  )
    return undefined;
  const body = prev.bytes.subarray(cut);
  const dirs = folders(body);
  return dirs && { header, body, dirs };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The folder entries of a manifest's body, in order; undefined if one is not valid. */
function folders(body: Buffer): Reuse['dirs'] | undefined {
  const dirs: Reuse['dirs'] = [];
  // Quotes inside a path or target are escaped, so this only matches a folder's own type.
  const mark = Buffer.from(',"type":"dir",');
  for (let hit = body.indexOf(mark); hit >= 0; hit = body.indexOf(mark, hit + mark.length)) {
    const start = body.lastIndexOf(0x0a, hit) + 5; // past the newline and the 4-space indent
    let end = body.indexOf(0x0a, hit);
    if (body[end - 1] === 0x2c) end--; // the comma between entries
    let e: unknown;
    try {
      e = JSON.parse(body.toString('utf8', start, end));
    } catch {
      return undefined;
    }
    if (entryProblem(e) !== undefined) return undefined;
    const { path, mtimeMs } = e as { path: string; mtimeMs: number };
    dirs.push({ path, mtimeMs });
  }
  return dirs;
}
