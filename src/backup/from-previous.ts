import type { Stats } from 'node:fs';
import { NotPatchable, planPatch } from './incremental.js';
import type { LinkFarm } from './link-farm.js';
import type { Reuse } from './listing.js';
import type { Manifest, ManifestHeader } from './manifest.js';
import { applyPatch, checkFarm } from './patch.js';
import type { PreviousLines } from './previous.js';
import type { SourceScan } from './source.js';

/**
 * An incremental backup from the link farm of the previous one (link-farm.ts): as it is when
 * the source did not change at all (listing.ts), else patched (incremental.ts). Each gives
 * undefined when it cannot, for create.ts to try the next way: patch, then file by file.
 */

export interface ManifestBody {
  file: string;
  from?: number;
  temporary?: boolean;
}

/** What a build gives the manifest besides its header's fixed fields. */
export interface Built {
  /**
   * The entries part of manifest.json: its bytes, the entry lines (manifestBody's input), or a
   * file holding it from byte `from` on (`temporary`: one of ours, removed once published).
   */
  body: string | Buffer | string[] | ManifestBody;
  totals: Manifest['totals'];
  hardLinks: number;
  skipped: ManifestHeader['skipped'];
  vanished: string[];
  previous: string | null;
  asWalked: boolean;
  /** The walk was read from find's listing (so the listing may be kept with the backup). */
  listed: boolean;
  /** The sha256 of find's listing, kept with the backup (listing.ts). */
  listing?: string | undefined;
  /** The set digest of what was backed up (set-digest.ts), for the listing's to be compared. */
  digest?: string | undefined;
}

/**
 * Nothing changed since the previous backup (listing.ts `reusable`): the link farm is the
 * backup, and the previous manifest's entries are the new one's. Known before the farm is
 * made, so the manifest can be written meanwhile; `farmMatches` then says whether it stands.
 */
export function unchangedBuilt(reuse: Reuse, previous: string): Built {
  const { totals, hardLinks, skipped } = reuse.header;
  return {
    body: reuse.body,
    totals: { ...totals, linkedFiles: totals.files, linkedBytes: totals.bytes },
    hardLinks,
    skipped,
    vanished: [],
    previous,
    asWalked: true,
    listed: true,
  };
}

/**
 * Whether the link farm of an unchanged source was made and is what the previous manifest
 * says (patch.ts checkFarm); false when it failed or that backup was changed (the caller then
 * walks and patches, or copies).
 */
export async function farmMatches(
  data: string,
  farm: LinkFarm,
  reuse: Reuse,
  rootSt: Stats,
  lap: (stage: string) => void,
): Promise<boolean> {
  if (!reuse.header.root || !(await farm.done())) return false;
  try {
    checkFarm(data, reuse.header.root.mtimeMs, reuse.dirs, rootSt);
  } catch (err) {
    if (!(err instanceof NotPatchable)) throw err;
    lap(`link farm not usable (${err.message})`);
    return false;
  }
  lap('link farm made and checked');
  return true;
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
  const made = await farm.done();
  lap(made ? 'link farm made' : `link farm failed (${farm.error()}): copying file by file`);
  if (!made) return undefined;
  try {
    const patched = await applyPatch(data, plan, signal);
    lap(`link farm patched (${patched.totals.files - patched.totals.linkedFiles} files copied)`);
    return {
      ...patched,
      body: patched.lines,
      skipped: scan.skipped,
      previous: prev.id,
      listed: scan.listed === true,
    };
  } catch (err) {
    if (!(err instanceof NotPatchable)) throw err;
    lap(`link farm not usable (${err.message}): copying file by file`);
    return undefined;
  }
}
