import type { Manifest } from './manifest.js';
import type { PreviousLines } from './previous.js';
import type { SourceScan } from './source.js';
import type { WalkEntry } from './walk.js';

/**
 * Makes a link farm of the previous backup (link-farm.ts) exactly the backup of `scan`, as the
 * file-by-file build (fill.ts) would have made it, and gives the manifest's entry lines: the
 * plan here, before the farm is made; the changes in patch.ts, once it is.
 * Unchanged files stay hard-linked, their hash reused; changed and new ones are copied and
 * hashed over them — unlinked first, never written through a link, which would change the
 * earlier backup; what the source no longer has is removed; folder modes and times are set
 * where they differ or where an entry came or went. A symlink that differs is made anew for the
 * same reason (a linked symlink shares its inode, times included, with the earlier backup).
 *
 * "Unchanged" is decided on text: the manifest line the entry would get now, without its hash,
 * against the previous manifest's line for that path (previous.ts). Equal means size, mtime,
 * mode, owner, ctime and inode equal — the quick check of the file-by-file build — and that line goes into
 * the new manifest as it is. Only lines that differ are parsed.
 *
 * What the farm holds is taken from the previous manifest, as the file-by-file build takes the
 * content of a linked file from it. Each folder kept is checked to be a real folder (not a
 * symlink: nothing here may write outside data/) whose mtime is still the one its manifest
 * gives: adding, removing or renaming anything in a folder sets its mtime, so a folder of the
 * earlier backup touched since shows it. Then, or for any line that is not what we write, this
 * gives up (NotPatchable) and the caller builds the tree file by file.
 */
export class NotPatchable extends Error {}

export interface PatchResult {
  lines: string[];
  totals: Manifest['totals'];
  vanished: string[];
  hardLinks: number;
  /** Every file copied was as the walk saw it (see assemble.ts). */
  asWalked: boolean;
}

const shaTail = /^,"sha256":"[0-9a-f]{64}"}$/;

/**
 * What changes, decided before the farm is made (this is CPU work; the farm is another
 * process's): per entry of the walk, its manifest line now (for a file, without the hash),
 * its previous line's index, and whether what the farm holds there stays.
 */
export interface PatchPlan {
  scan: SourceScan;
  prev: PreviousLines;
  lines: string[];
  at: Int32Array;
  kept: Uint8Array;
  /** Previous lines of entries kept. */
  used: Uint8Array;
  /** Files to copy: none means the farm is the backup as it is. */
  copies: number;
}

export function planPatch(scan: SourceScan, prev: PreviousLines): PatchPlan {
  const { lines: prevLines, byKey } = prev;
  const used = new Uint8Array(prevLines.length);
  const n = scan.entries.length;
  const lines = new Array<string>(n);
  const at = new Int32Array(n).fill(-1);
  const kept = new Uint8Array(n);
  let copies = 0;
  for (let i = 0; i < n; i++) {
    const e = scan.entries[i]!;
    const key = JSON.stringify(e.path);
    const line = entryLine(key, e);
    lines[i] = line;
    const j = byKey.get(key);
    if (j !== undefined) {
      at[i] = j;
      const was = prevLines[j]!;
      if (keeps(e.type, key, line, was)) {
        if (e.type === 'file') lines[i] = was;
        kept[i] = 1;
        used[j] = 1;
      }
    }
    if (!kept[i] && e.type === 'file') copies++;
  }
  return { scan, prev, lines, at, kept, used, copies };
}

/**
 * Whether what the previous backup has at a path stays in the new one: `was`, its line there,
 * against `line`, the entry's line now (entryLine). A file stays, with `was` as its line, when
 * `line` is `was` but for the hash (`line` ends at `"size":N}`, `was` goes on with
 * `,"sha256":"…"}`): size, mtime, mode, owner, ctime and inode all equal, the quick check of
 * the file-by-file build. A folder stays if it was a folder (its attributes are set after if
 * they differ); a symlink if its line is the same.
 */
export function keeps(type: WalkEntry['type'], key: string, line: string, was: string): boolean {
  if (type === 'file') {
    const head = line.length - 1;
    return was.length === head + 77 && was.startsWith(line.slice(0, head)) && shaTail.test(was.slice(head));
  }
  // {"path":KEY,"type":"d…
  if (type === 'dir') return was.charCodeAt(key.length + 17) === 0x64;
  return was === line;
}

/**
 * The manifest line of a folder or symlink; of a file, all but its hash (it ends `"size":N}`).
 * Exactly JSON.stringify of the entry assemble.ts builds — same keys, same order; a number in a
 * template is written as JSON writes it — without making 20,000 objects to stringify.
 */
export function entryLine(key: string, e: WalkEntry): string {
  const st = e.st!;
  const head = `{"path":${key},"type":"${e.type}","mode":${st.mode & 0o7777},"mtimeMs":${st.mtimeMs},"uid":${st.uid},"gid":${st.gid}`;
  if (e.type === 'dir') return `${head}}`;
  if (e.type === 'symlink') return `${head},"target":${JSON.stringify(e.target)}}`;
  return `${head},"ctimeMs":${st.ctimeMs},"ino":${st.ino},"size":${st.size}}`;
}
