import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { toolVersion } from '../core/version.js';
import type { ManifestHeader } from './manifest.js';
import { entriesKey, entryProblem, headerProblem, readManifestHead } from './manifest-format.js';

/**
 * `.listing` beside a backup's manifest: the sha256 of find's listing of the source it was
 * made from (find-scan.ts), kept only when the manifest's entries are exactly what the listing
 * says: the walk was read from the listing and every file copied was as listed when it was
 * read, or (a tree walked by Node, too large to hold its listing) what was backed up has the
 * listing's set digest (set-digest.ts). None vanished either way.
 *
 * The next backup of the same source lists it again. The same listing — every name, type,
 * size, mode, owner, link count, inode, mtime and ctime, to the nanosecond; the ctime moves on
 * any write, even one that puts the mtime back — means nothing changed since: the new
 * manifest's entries are the previous one's, copied as bytes, and a link farm of the previous
 * backup is the backup (its folders checked as patch.ts does). Neither listing nor manifest
 * is parsed but for the manifest's folder lines: for an unchanged tree that parse was most of
 * the work left.
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

export function listingFile(manifestHash: string, excludes: string[], listingHash: string): string {
  const kept: Kept = { format, manifest: manifestHash, excludes, listing: listingHash };
  return `${JSON.stringify(kept)}\n`;
}

/** What the previous backup's manifest gives the new one when the source did not change. */
export interface Reuse {
  header: ManifestHeader;
  /** manifest.json from `,\n  "entries": [` (at byte `from`) to its end. */
  body: { file: string; from: number };
  /** Its folders, parents first, with their mtimes, for the link farm's check. */
  dirs: Array<{ path: string; mtimeMs: number }>;
  /** The sha256 of find's listing it was made from: reused only if the source lists the same. */
  listedAs: string;
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
 * The previous backup's manifest, if a source listed as `kept` says may reuse it: kept for the
 * same excludes, by this version, and the manifest is the one it was kept for. The manifest is
 * read a MiB at a time: hashed, and only its folder lines parsed. create.ts reads it while find
 * lists the source, then compares the listings (`listedAs`): for a million files that read is
 * 0.4 s this thread would otherwise wait for find anyway.
 */
export function reusable(
  manifest: string,
  id: string,
  kept: Partial<Kept>,
  excludes: string[],
): Reuse | undefined {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (typeof kept.listing !== 'string' || kept.format !== format || !same(kept.excludes, excludes))
    return undefined;
  let scanned: Scanned | undefined;
  try {
    scanned = scanManifest(manifest);
  } catch {
    return undefined;
  }
  if (!scanned || scanned.hash !== kept.manifest) return undefined;
  let header: ManifestHeader;
  try {
    header = JSON.parse(`${scanned.head}\n}`);
  } catch {
    return undefined;
  }
  if (
    headerProblem(header as unknown as Record<string, unknown>) !== undefined ||
    header.id !== id ||
    header.toolVersion !== toolVersion() ||
    !same(header.excludes, excludes)
  )
    return undefined;
  return {
    header,
    body: { file: manifest, from: scanned.cut },
    dirs: scanned.dirs,
    listedAs: kept.listing,
  };
}

interface Scanned {
  hash: string;
  /** The header's text, up to `entries`, and the byte where `entries` starts. */
  head: string;
  cut: number;
  dirs: Reuse['dirs'];
}

/** One pass over a manifest: its hash, its header, its folders; undefined if one is not valid. */
function scanManifest(file: string): Scanned | undefined {
  const sha = createHash('sha256');
  const dirs: Reuse['dirs'] = [];
  // Quotes inside a path or target are escaped, so this only matches a folder's own type.
  const mark = Buffer.from(',"type":"dir",');
  const fd = openSync(file, 'r');
  try {
    const first = readManifestHead(fd, { limit: 64 << 20, onRead: (b) => sha.update(b) });
    const { cut } = first;
    if (cut < 0) return undefined;
    const head = first.bytes.toString('utf8', 0, cut);
    const buf = Buffer.allocUnsafe(1 << 20);
    // What the header's last read gave past `entries`, then the rest of the file.
    let rest = Buffer.from(first.bytes.subarray(cut + entriesKey.length));
    for (;;) {
      const n = first.eof ? 0 : readSync(fd, buf, 0, buf.length, null);
      sha.update(buf.subarray(0, n));
      const bytes = rest.length ? Buffer.concat([rest, buf.subarray(0, n)]) : buf.subarray(0, n);
      // Whole lines only; the rest waits for the next read.
      const last = n === 0 ? bytes.length : bytes.lastIndexOf(0x0a) + 1;
      for (
        let hit = bytes.indexOf(mark);
        hit >= 0 && hit < last;
        hit = bytes.indexOf(mark, hit + mark.length)
      ) {
        const start = bytes.lastIndexOf(0x0a, hit) + 1;
        let end = bytes.indexOf(0x0a, hit);
        if (end < 0) end = bytes.length;
        const line = bytes.toString('utf8', start, end).trim().replace(/,$/, '');
        let e: unknown;
        try {
          e = JSON.parse(line);
        } catch {
          return undefined;
        }
        if (entryProblem(e) !== undefined) return undefined;
        const { path, mtimeMs } = e as { path: string; mtimeMs: number };
        dirs.push({ path, mtimeMs });
      }
      if (n === 0) return { hash: sha.digest('hex'), head, cut, dirs };
      rest = Buffer.from(bytes.subarray(last));
    }
  } finally {
    closeSync(fd);
  }
}
