import type { Stats } from 'node:fs';
import { NotPatchable, planPatch } from './incremental.js';
import type { LinkFarm } from './link-farm.js';
import { reusable } from './listing.js';
import type { Manifest, ManifestHeader } from './manifest.js';
import { applyPatch, checkFarm } from './patch.js';
import type { PreviousBytes, PreviousLines } from './previous.js';
import type { SourceScan } from './source.js';
import type { CreateBackupOptions } from './types.js';

/**
 * An incremental backup from the link farm of the previous one (link-farm.ts): as it is when
 * the source did not change at all (listing.ts), else patched (incremental.ts). Each gives
 * undefined when it cannot, for create.ts to try the next way: patch, then file by file.
 */

/** What a build gives the manifest besides its header's fixed fields. */
export interface Built {
  /** The manifest from `,\n  "entries": [` to its end. */
  /** The entries part of manifest.json: its bytes, or the entry lines (manifestBody's input). */
  body: string | Buffer | string[] | { file: string };
  totals: Manifest['totals'];
  hardLinks: number;
  skipped: ManifestHeader['skipped'];
  vanished: string[];
  previous: string | null;
  asWalked: boolean;
  /** find's listing, kept with the backup (listing.ts). */
  listing?: Buffer | undefined;
}

/**
 * Nothing changed since the previous backup (listing.ts): the link farm is the backup, and
 * the previous manifest's entries are the new one's. undefined when that is not so, or the
 * farm failed or was changed (the caller then walks and patches, or copies).
 */
export async function unchangedFromFarm(
  data: string,
  farm: LinkFarm,
  prev: PreviousBytes,
  prevListing: Parameters<typeof reusable>[1],
  listed: Buffer,
  system: CreateBackupOptions['system'],
  rootSt: Stats,
  lap: (stage: string) => void,
): Promise<Built | undefined> {
  const reuse = reusable(prev, prevListing, listed, system.exclude);
  lap(reuse ? 'unchanged since the previous backup' : 'changed since the previous backup');
  if (!reuse?.header.root || !(await farm.done)) return undefined;
  try {
    checkFarm(data, reuse.header.root.mtimeMs, reuse.dirs, rootSt);
  } catch (err) {
    if (!(err instanceof NotPatchable)) throw err;
    lap(`link farm not usable (${err.message})`);
    return undefined;
  }
  lap('link farm made and checked');
  const { totals, hardLinks, skipped } = reuse.header;
  return {
    body: reuse.body,
    totals: { ...totals, linkedFiles: totals.files, linkedBytes: totals.bytes },
    hardLinks,
    skipped,
    vanished: [],
    previous: prev.id,
    asWalked: true,
    listing: listed,
  };
}

/**
 * The backup from the link farm, patched to be exactly the source (incremental.ts, patch.ts); undefined
 * when the farm failed or cannot be patched, for the caller to build the tree file by file.
 */
export async function patchedFromFarm(
  data: string,
  farm: LinkFarm,
  scan: SourceScan,
  prev: PreviousLines,
  signal: AbortSignal | undefined,
  lap: (stage: string) => void,
): Promise<Built | undefined> {
  const plan = planPatch(scan, prev);
  lap(`compared with the previous manifest (${plan.copies} files to copy)`);
  const made = await farm.done;
  lap(made ? 'link farm made' : `link farm failed (${farm.error()}): copying file by file`);
  if (!made) return undefined;
  try {
    const patched = await applyPatch(data, plan, signal);
    lap(`link farm patched (${patched.totals.files - patched.totals.linkedFiles} files copied)`);
    return { ...patched, body: patched.lines, skipped: scan.skipped, previous: prev.id };
  } catch (err) {
    if (!(err instanceof NotPatchable)) throw err;
    lap(`link farm not usable (${err.message}): copying file by file`);
    return undefined;
  }
}
