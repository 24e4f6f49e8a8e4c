import { FailedError } from '../core/errors.js';
import type { FileResult } from './file-ops.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import type { Previous } from './previous.js';
import type { SourceScan } from './source.js';
import type { WalkEntry } from './walk.js';

/**
 * The manifest entries and totals of a backup built file by file (fill.ts), from the walk and
 * the per-file results. The patched link farm (patch.ts) writes the same lines without making
 * the objects.
 */
export interface Filled {
  entries: ManifestEntry[];
  totals: Manifest['totals'];
  vanished: string[];
  hardLinks: number;
  /** Every file as the walk saw it when it was read: the entries are what the walk says. */
  asWalked: boolean;
}

/** `results[i]` is the outcome for `files[i]`; a linked file takes its hash from `previous`. */
export function assemble(
  scan: SourceScan,
  files: WalkEntry[],
  results: FileResult[],
  previous: Previous | undefined,
): Filled {
  const stored = new Map<string, ManifestEntry>();
  const vanished: string[] = [];
  const failed: string[] = [];
  let linkedFiles = 0;
  let linkedBytes = 0;
  let bytes = 0;
  let hardLinks = 0;
  let asWalked = true;
  results.forEach((r, i) => {
    const e = files[i]!;
    asWalked &&= sameAsWalked(e, r);
    if (r.error) {
      if (r.error.code === 'ENOENT') vanished.push(e.path);
      else failed.push(`${e.path}: ${r.error.message}`);
      return;
    }
    const st = r.st!;
    const sha256 = r.linked ? previous!.files.get(e.path)!.sha256 : r.sha256!;
    // What was read is what is kept: a file that grew mid-copy is recorded at the size copied.
    const size = r.linked ? st.size : r.size!;
    if (r.linked) {
      linkedFiles++;
      linkedBytes += size;
    }
    if (st.nlink > 1) hardLinks++;
    bytes += size;
    stored.set(e.path, { path: e.path, type: 'file', ...attrs(st), size, sha256 });
  });
  if (failed.length > 0)
    throw new FailedError(
      `cannot back up ${scan.source}: ${failed.length} file(s) could not be copied:\n  ${failed.slice(0, 10).join('\n  ')}` +
        (failed.length > 10 ? `\n  and ${failed.length - 10} more` : ''),
    );

  const entries: ManifestEntry[] = [];
  let dirs = 0;
  let symlinks = 0;
  for (const e of scan.entries) {
    if (e.type === 'file') {
      const f = stored.get(e.path);
      if (f) entries.push(f);
    } else if (e.type === 'dir') {
      dirs++;
      entries.push({ path: e.path, type: 'dir', ...attrs(e.st!) });
    } else {
      symlinks++;
      entries.push({ path: e.path, type: 'symlink', ...attrs(e.st!), target: e.target! });
    }
  }
  return {
    entries,
    vanished,
    hardLinks,
    asWalked,
    totals: { files: stored.size, dirs, symlinks, bytes, linkedFiles, linkedBytes },
  };
}

/**
 * Whether a file was, when linked or copied, what the walk saw (listing.ts keeps a listing
 * only if all were): same size, mtime, mode and owner, and as many links or not.
 */
export function sameAsWalked(e: WalkEntry, r: FileResult): boolean {
  const a = e.st;
  const b = r.st;
  return (
    a !== undefined &&
    b !== undefined &&
    !r.error &&
    (r.linked || r.size === a.size) &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.nlink > 1 === b.nlink > 1
  );
}

/** The attributes a manifest keeps, from a Stats or a FileStat (mode already masked or not). */
export function attrs(st: { mode: number; mtimeMs: number; uid: number; gid: number }) {
  return { mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, uid: st.uid, gid: st.gid };
}
