import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import type { ExcludeMatcher } from './excludes.js';
import { type Found, type Listing, recordChunks, records, walkInOrder } from './find-scan.js';
import type { WalkEntry, WalkSummary } from './walk.js';

/**
 * find's listing of a large tree walked in the walk's order (order.ts) without holding it:
 * find writes a folder's entries with its subfolders' in between, so a first pass notes where
 * each folder's records lie in the listing's files (byte ranges, a few per folder), and the
 * walk then reads each folder's records from there, a folder at a time. What is held is that
 * index, O(folders), and one folder's records: the same bound as Node's walk, which reads a
 * folder's names whole. The entries are walkFromListing's, entry for entry, with every file
 * stat'ed (find did it, more cheaply than Node can: find-scan.ts).
 */

/** Per folder ('' for the root): its records' byte ranges, flat as [part, start, end, …]. */
export interface ListingIndex {
  listing: Listing;
  runs: Map<string, number[]>;
}

/** A record find could not have written as this reads it (a time before 1970): the walk stops. */
export class OddListing extends Error {}

/** The index of a listing; undefined when a name is not UTF-8 (the caller walks with Node). */
export function indexListing(listing: Listing): ListingIndex | undefined {
  const runs = new Map<string, number[]>();
  let last: number[] | undefined;
  let lastFolder = '';
  for (const chunk of recordChunks(listing)) {
    if (!chunk) return undefined;
    const { part, base, bytes } = chunk;
    if (!isUtf8(bytes)) return undefined;
    // Whole records: three NUL-ended fields each, the path the second.
    for (let start = 0; start < bytes.length; ) {
      const z1 = bytes.indexOf(0, start);
      const z2 = bytes.indexOf(0, z1 + 1);
      const end = bytes.indexOf(0, z2 + 1) + 1;
      const path = bytes.toString('utf8', z1 + 1, z2);
      if (path !== '') {
        const slash = path.lastIndexOf('/');
        const folder = slash < 0 ? '' : path.slice(0, slash);
        // The run goes on if this record follows the last one of the same folder.
        const n = last?.length ?? 0;
        if (last && folder === lastFolder && last[n - 3] === part && last[n - 1] === base + start)
          last[n - 1] = base + end;
        else {
          last = runs.get(folder) ?? [];
          if (last.length === 0) runs.set(folder, last);
          last.push(part, base + start, base + end);
          lastFolder = folder;
        }
      } else last = undefined;
      start = end;
    }
  }
  return { listing, runs };
}

/**
 * The walk of an indexed listing, in batches of at least `batch` entries (a folder is never
 * split); `summary` is final once they are all taken. Throws OddListing at a record the walk
 * cannot take; the caller then walks with Node.
 */
export async function* streamListing(
  index: ListingIndex,
  options: { exclude?: ExcludeMatcher; avoid?: Set<string> },
  summary: WalkSummary,
  batch = 512,
): AsyncGenerator<WalkEntry[]> {
  const fds = index.listing.parts.map((p) => openSync(p, 'r'));
  try {
    const childrenOf = (rel: string): Found[] | undefined => {
      const runs = index.runs.get(rel);
      if (!runs) return undefined;
      const found: Found[] = [];
      for (let i = 0; i < runs.length; i += 3) {
        const [part, start, end] = [runs[i]!, runs[i + 1]!, runs[i + 2]!];
        const bytes = Buffer.allocUnsafe(end - start);
        for (let at = 0; at < bytes.length; ) {
          const n = readSync(fds[part]!, bytes, at, bytes.length - at, start + at);
          if (n === 0) throw new OddListing(`${index.listing.parts[part]} is shorter than when it was read`);
          at += n;
        }
        for (const r of records(bytes.toString('utf8'))) {
          if (!r)
            throw new OddListing(`a record in ${rel || 'the root'} cannot be read as the walk reads it`);
          found.push(r);
        }
      }
      return found;
    };
    let out: WalkEntry[] = [];
    for (const folder of walkInOrder(childrenOf, options, summary)) {
      for (const e of folder) out.push(e);
      if (out.length >= batch) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
