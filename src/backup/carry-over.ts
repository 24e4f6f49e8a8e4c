import { lstatSync, mkdirSync, readdirSync, renameSync, utimesSync } from 'node:fs';
import { compileExcludes } from './excludes.js';
import { under } from './layout.js';
import { decodeName, fsPath } from './names.js';
import { fsTime } from './times.js';

/**
 * After a restore's swap, what the backup never held is moved from the old tree into the new
 * one: paths matching the system's excludes (`logs/**`: the backup left them out, so the
 * restore leaves them as they were — deleting them would lose them, since no backup has them)
 * and sockets, FIFOs and devices. Idempotent: anything already in the target is left alone,
 * so a recovery can run it again. Moving into a folder changes its mtime, so the backup's
 * times are put back on the folders touched.
 *
 * Nothing is moved or created through a symlink: every folder on the way is checked with
 * lstat, one component at a time, and made with a plain mkdir when missing. A backup whose
 * `logs` was a symlink to /tmp/outside, restored over a tree whose `logs` is a real folder,
 * would otherwise move `logs/evil` into /tmp/outside. Such a path is not carried over: it is
 * returned, so the restore can say it was left out (it goes with the old tree).
 */
export function carryOver(
  aside: string,
  target: string,
  excludes: string[],
  dirTimes: Array<[string, number]>,
  rootMtimeMs: number | undefined,
): { moved: number; leftOut: string[] } {
  const excluded = compileExcludes(excludes);
  const touched = new Set<string>();
  const leftOut: string[] = [];
  let moved = 0;
  const visit = (rel: string) => {
    for (const raw of readdirSync(fsPath(under(aside, rel)), { encoding: 'buffer' })) {
      const name = decodeName(raw);
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(fsPath(under(aside, path)));
      const special = !st.isFile() && !st.isDirectory() && !st.isSymbolicLink();
      if (excluded(path, st.isDirectory()) || special) {
        if (!realFolders(target, rel)) {
          leftOut.push(path);
          continue;
        }
        if (lstatSync(fsPath(under(target, path)), { throwIfNoEntry: false })) continue;
        renameSync(fsPath(under(aside, path)), fsPath(under(target, path)));
        // The folder moved into, and any created above it, got a new mtime.
        for (let r = rel; ; r = r.includes('/') ? r.slice(0, r.lastIndexOf('/')) : '') {
          touched.add(r);
          if (r === '') break;
        }
        moved++;
      } else if (st.isDirectory()) visit(path);
    }
  };
  visit('');
  if (touched.size > 0) {
    const times = new Map(dirTimes);
    for (const rel of touched) {
      const t = rel === '' ? rootMtimeMs : times.get(rel);
      if (t !== undefined && realFolders(target, rel))
        utimesSync(fsPath(under(target, rel)), fsTime(t), fsTime(t));
    }
  }
  return { moved, leftOut };
}

/**
 * Whether `rel` under `root` is a chain of real folders (no symlink on the way), making the
 * missing ones; false when some component is a symlink or not a folder.
 */
export function realFolders(root: string, rel: string): boolean {
  if (rel === '') return true;
  let at = '';
  for (const name of rel.split('/')) {
    at = at ? `${at}/${name}` : name;
    const st = lstatSync(fsPath(under(root, at)), { throwIfNoEntry: false });
    if (!st) mkdirSync(fsPath(under(root, at)));
    else if (!st.isDirectory()) return false;
  }
  return true;
}
