import { lstatSync, mkdirSync, readdirSync, renameSync, utimesSync } from 'node:fs';
import { compileExcludes } from './excludes.js';
import { under } from './layout.js';

/**
 * After a restore's swap, what the backup never held is moved from the old tree into the new
 * one: paths matching the system's excludes (`logs/**`: the backup left them out, so the
 * restore leaves them as they were — deleting them would lose them, since no backup has them)
 * and sockets, FIFOs and devices. Idempotent: anything already in the target is left alone,
 * so a recovery can run it again. Moving into a folder changes its mtime, so the backup's
 * times are put back on the folders touched.
 */
export function carryOver(
  aside: string,
  target: string,
  excludes: string[],
  dirTimes: Array<[string, number]>,
  rootMtimeMs: number | undefined,
): number {
  const excluded = compileExcludes(excludes);
  const touched = new Set<string>();
  let moved = 0;
  const visit = (rel: string) => {
    for (const name of readdirSync(under(aside, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(under(aside, path));
      const special = !st.isFile() && !st.isDirectory() && !st.isSymbolicLink();
      if (excluded(path, st.isDirectory()) || special) {
        if (lstatSync(under(target, path), { throwIfNoEntry: false })) continue;
        if (rel) mkdirSync(under(target, rel), { recursive: true });
        renameSync(under(aside, path), under(target, path));
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
      if (t !== undefined) utimesSync(under(target, rel), t / 1000, t / 1000);
    }
  }
  return moved;
}
