import { chmodSync, chownSync, lchownSync, lutimesSync, mkdirSync, symlinkSync, utimesSync } from 'node:fs';
import { under } from './layout.js';
import { fsPath } from './names.js';
import { fsTime } from './times.js';
import { modeNeedsChmod } from './umask.js';

/**
 * Building a tree from entries, shared by backup (into data/) and restore (beside the target):
 * folders first (owner-only, so we can fill them), then files (by the pool), then symlinks,
 * then folder modes and times deepest first — writing into a folder changes its mtime, so a
 * folder's time is set only once nothing more goes into it.
 */

export interface Attrs {
  mode: number;
  mtimeMs: number;
  uid?: number | undefined;
  gid?: number | undefined;
}

const myUid = process.getuid?.() ?? -1;
const myGid = process.getgid?.() ?? -1;

/** Only root can give files away; anyone else keeps their own ownership. */
function ownerChange(a: Attrs): [number, number] | undefined {
  if (myUid !== 0 || a.uid === undefined || a.gid === undefined) return undefined;
  return a.uid === myUid && a.gid === myGid ? undefined : [a.uid, a.gid];
}

/** A folder the owner can write into is made with its final mode at once (no chmod later). */
export const finalAtOnce = (mode: number) => (mode & 0o700) === 0o700 && !modeNeedsChmod(mode);

export function makeDirs(root: string, dirs: Array<{ path: string; mode: number }>): void {
  for (const d of dirs) mkdirSync(fsPath(under(root, d.path)), finalAtOnce(d.mode) ? d.mode : 0o700);
}

export function makeSymlinks(root: string, links: Array<Attrs & { path: string; target: string }>): void {
  for (const l of links) {
    const p = fsPath(under(root, l.path));
    // Verbatim: relative stays relative, absolute stays absolute, dangling stays dangling.
    symlinkSync(fsPath(l.target), p);
    const own = ownerChange(l);
    if (own) lchownSync(p, own[0], own[1]);
    const t = fsTime(l.mtimeMs);
    lutimesSync(p, t, t);
  }
}

/** `dirs` in parent-before-child order; applied in reverse, then the root itself. */
export function applyDirAttrs(
  root: string,
  dirs: Array<Attrs & { path: string }>,
  rootAttrs?: Attrs,
  /** Every folder was made by makeDirs (not kept from a link farm, whose modes are another backup's). */
  allMade = true,
): void {
  const modeIsSet = allMade ? finalAtOnce : undefined;
  for (let i = dirs.length - 1; i >= 0; i--) setAttrs(under(root, dirs[i]!.path), dirs[i]!, modeIsSet);
  if (rootAttrs) setAttrs(root, rootAttrs);
}

/** `modeIsSet`: whether the folder was made with its mode already (see makeDirs). */
export function setAttrs(name: string, a: Attrs, modeIsSet?: (mode: number) => boolean): void {
  const path = fsPath(name);
  const own = ownerChange(a);
  if (own) chownSync(path, own[0], own[1]);
  // chown clears set-id bits, so a folder given away always gets its mode again.
  if (own || !modeIsSet?.(a.mode)) chmodSync(path, a.mode);
  const t = fsTime(a.mtimeMs);
  utimesSync(path, t, t);
}
