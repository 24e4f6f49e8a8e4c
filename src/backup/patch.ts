import { chmodSync, existsSync, lstatSync, type Stats, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { FailedError } from '../core/errors.js';
import { attrs, fileLine, sameAsWalked } from './assemble.js';
import type { BackupTask, FileResult, FileTask } from './file-ops.js';
import { NotPatchable, type PatchPlan, type PatchResult } from './incremental.js';
import { under } from './layout.js';
import type { ManifestEntry } from './manifest.js';
import { entryProblem } from './manifest-format.js';
import { finalAtOnce, makeDirs, makeSymlinks, setAttrs } from './materialize.js';
import { fsPath } from './names.js';
import { runFileTasks } from './pool.js';
import { removeTree } from './remove.js';
import type { SourceScan } from './source.js';
import type { WalkEntry } from './walk.js';

/**
 * The farm made what a plan (incremental.ts) says; and the check of the farm of an unchanged
 * source (listing.ts), the same as patching makes before it changes anything.
 */

/** How far a folder's time in the previous backup may be from its manifest: utimes() rounds. */
const mtimeSlackMs = 1;
const myUid = process.getuid?.() ?? -1;

/** Makes the farm at `data` the backup the plan describes; gives the manifest's entry lines. */
export async function applyPatch(
  data: string,
  plan: PatchPlan,
  signal: AbortSignal | undefined,
): Promise<PatchResult> {
  const { scan, prev, lines, at, kept, used } = plan;
  const prevLines = prev.lines;
  const n = lines.length;
  if (!prev.root) throw new NotPatchable('the previous manifest has no root attributes');

  // The folders kept, parents first: each a real folder as its manifest left it. Whatever is
  // kept is in one of them (a manifest listing a path under a file would break that).
  const found = new Map<string, { st: Stats; mtimeMs: number }>();
  found.set('', checkDir(data, prev.root.mtimeMs, '.'));
  for (let i = 0; i < n; i++) {
    if (!kept[i]) continue;
    const e = scan.entries[i]!;
    if (!found.has(parentOf(e.path))) throw new NotPatchable(`${e.path} is not under a folder kept`);
    if (e.type !== 'dir') continue;
    const was = prevLines[at[i]!]!;
    const mtimeMs = was === lines[i] ? e.st!.mtimeMs : parseLine(was).mtimeMs;
    found.set(e.path, checkDir(under(data, e.path), mtimeMs, e.path));
  }

  // Folders whose entries change get their mode and time set again at the end.
  const touched = new Set<string>();
  const touch = (path: string) => {
    const parent = parentOf(path);
    if (touched.has(parent)) return;
    touched.add(parent);
    const dir = found.get(parent);
    if (dir) openUp(under(data, parent), dir.st);
  };

  // What goes: gone from the source, changed, or of another type now. A folder goes whole.
  const removed = new Set<string>();
  for (let j = 0; j < prevLines.length; j++) {
    if (used[j]) continue;
    const was = parseLine(prevLines[j]!);
    // Its path written as we write it, so no other line names the same path another way.
    if (!prevLines[j]!.startsWith(`{"path":${JSON.stringify(was.path)},"type":"`))
      throw new NotPatchable(`${was.path} is not written as this version writes it`);
    if (insideRemoved(was.path, removed)) continue;
    // Only under a folder checked above: never through a symlink, never outside data/.
    if (!found.has(parentOf(was.path))) throw new NotPatchable(`${was.path} is not under a folder kept`);
    touch(was.path);
    await unexpected(async () => {
      if (was.type === 'dir') await removeTree(under(data, was.path));
      else unlinkSync(fsPath(under(data, was.path)));
    });
    if (was.type === 'dir') removed.add(was.path);
  }

  // What comes: folders (made now), files (copied), then symlinks.
  const newDirs: WalkEntry[] = [];
  const links: WalkEntry[] = [];
  const tasks: FileTask[] = [];
  const copiedAt: number[] = [];
  for (let i = 0; i < n; i++) {
    if (kept[i]) continue;
    const e = scan.entries[i]!;
    touch(e.path);
    if (e.type === 'dir') newDirs.push(e);
    else if (e.type === 'symlink') links.push(e);
    else {
      tasks.push({ op: 'backup', src: under(scan.source, e.path), dst: under(data, e.path) });
      copiedAt.push(i);
    }
  }
  await unexpected(() =>
    makeDirs(
      data,
      newDirs.map((d) => ({ path: d.path, ...attrs(d.st!) })),
    ),
  );
  const copied = await runFileTasks(tasks, {
    ...(signal ? { signal } : {}),
    sizes: copiedAt.map((i) => scan.entries[i]!.st!.size),
  });
  // A file gone from the source is ENOENT; so is a folder gone from the farm, which is not.
  const clash = copied.find(
    (r, k) =>
      r.error?.code === 'EEXIST' ||
      (r.error?.code === 'ENOENT' && !existsSync(fsPath(dirname((tasks[k] as BackupTask).dst)))),
  );
  if (clash) throw new NotPatchable(`the farm is not what its manifest says (${clash.error!.message})`);
  await unexpected(() =>
    makeSymlinks(
      data,
      links.map((l) => ({ path: l.path, target: l.target!, ...attrs(l.st!) })),
    ),
  );

  // Folder attributes, deepest first: new folders, those whose entries changed, those whose
  // attributes differ. A kept folder with the same attributes already has the time and mode
  // setting them again would give (the same value, rounded the same way).
  const isNew = new Set(newDirs.map((d) => d.path));
  for (let i = n - 1; i >= 0; i--) {
    const e = scan.entries[i]!;
    if (e.type !== 'dir') continue;
    const want = attrs(e.st!);
    if (isNew.has(e.path)) setAttrs(under(data, e.path), want, finalAtOnce);
    else if (touched.has(e.path) || differs(found.get(e.path)!, want)) setAttrs(under(data, e.path), want);
  }
  // The root always, as the file-by-file build does: the farm may have made it (link-farm.ts).
  setAttrs(data, attrs(scan.root));
  return finish(scan, lines, kept, copiedAt, copied);
}

/**
 * Runs a change the plan expects to succeed; if the farm is not what its manifest says after
 * all (an entry missing or one too many: the earlier backup was changed with its folder times
 * put back), that is NotPatchable, and the caller builds the tree file by file.
 */
export async function unexpected(change: () => unknown): Promise<void> {
  try {
    await change();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EPERM')
      throw new NotPatchable(`the farm is not what its manifest says (${(err as Error).message})`);
    throw err;
  }
}

/**
 * The entry lines and totals, as assemble.ts makes them from objects: a copied file's line
 * from what was read; a file gone meanwhile is left out and named.
 */
function finish(
  scan: SourceScan,
  lines: string[],
  kept: Uint8Array,
  copiedAt: number[],
  copied: FileResult[],
): PatchResult {
  const vanished: string[] = [];
  const failed: string[] = [];
  const gone = new Set<number>();
  let asWalked = true;
  copied.forEach((r, k) => {
    const i = copiedAt[k]!;
    const e = scan.entries[i]!;
    asWalked &&= sameAsWalked(e, r);
    if (r.error) {
      gone.add(i);
      if (r.error.code === 'ENOENT') vanished.push(e.path);
      else failed.push(`${e.path}: ${r.error.message}`);
      return;
    }
    lines[i] = fileLine(JSON.stringify(e.path), r.st!, r.size!, r.sha256!);
  });
  if (failed.length > 0)
    throw new FailedError(
      `cannot back up ${scan.source}: ${failed.length} file(s) could not be copied:\n  ${failed.slice(0, 10).join('\n  ')}` +
        (failed.length > 10 ? `\n  and ${failed.length - 10} more` : ''),
    );
  const totals = { files: 0, dirs: 0, symlinks: 0, bytes: 0, linkedFiles: 0, linkedBytes: 0 };
  let hardLinks = 0;
  const out: string[] = [];
  const copiedResult = new Map(copiedAt.map((i, k) => [i, copied[k]!]));
  scan.entries.forEach((e, i) => {
    if (gone.has(i)) return;
    out.push(lines[i]!);
    if (e.type === 'dir') totals.dirs++;
    else if (e.type === 'symlink') totals.symlinks++;
    else {
      const r = copiedResult.get(i);
      // What was read is what is kept: a file that grew mid-copy is recorded at the size copied.
      const size = r ? r.size! : e.st!.size;
      totals.files++;
      totals.bytes += size;
      if (kept[i]) {
        totals.linkedFiles++;
        totals.linkedBytes += size;
      }
      if ((r ? r.st! : e.st!).nlink > 1) hardLinks++;
    }
  });
  return { lines: out, totals, vanished, hardLinks, asWalked };
}

/** A line of the previous manifest that is not what we would write now: checked like any entry. */
export function parseLine(line: string): ManifestEntry {
  let e: unknown;
  try {
    e = JSON.parse(line);
  } catch {
    throw new NotPatchable('a line of the previous manifest is not JSON');
  }
  const problem = entryProblem(e);
  if (problem) throw new NotPatchable(`an entry of the previous manifest is invalid (${problem})`);
  return e as ManifestEntry;
}

/**
 * The folders of a farm made for an unchanged source (listing.ts), parents first: as patching
 * would check them, with nothing to patch.
 */
export function checkFarm(
  data: string,
  rootMtimeMs: number,
  dirs: Array<{ path: string; mtimeMs: number }>,
  root: Stats,
): void {
  checkDir(data, rootMtimeMs, '.');
  for (const d of dirs) checkDir(under(data, d.path), d.mtimeMs, d.path);
  setAttrs(data, attrs(root));
}

/** A folder of the farm: a real folder, with the mtime its manifest gives (see above). */
export function checkDir(path: string, mtimeMs: number, shown: string): { st: Stats; mtimeMs: number } {
  const st = lstatSync(fsPath(path), { throwIfNoEntry: false });
  if (!st?.isDirectory()) throw new NotPatchable(`${shown} is not a folder in the previous backup`);
  if (Math.abs(st.mtimeMs - mtimeMs) >= mtimeSlackMs)
    throw new NotPatchable(`${shown} was changed in the previous backup after it was made`);
  return { st, mtimeMs };
}

/**
 * Whether a kept folder needs its attributes set: the time differs from the previous
 * manifest's (exactly), or the mode or owner from the folder's own.
 */
function differs(dir: { st: Stats; mtimeMs: number }, want: ReturnType<typeof attrs>): boolean {
  if (want.mtimeMs !== dir.mtimeMs || want.mode !== (dir.st.mode & 0o7777)) return true;
  // Only root gives files away (materialize.ts); anyone else keeps their own ownership.
  return myUid === 0 && (want.uid !== dir.st.uid || want.gid !== dir.st.gid);
}

/**
 * A folder of the earlier backup may be read-only (kept as the source had it, and cp -a keeps
 * that): let its owner change it; its mode is set again at the end. Root needs no such thing.
 */
export function openUp(path: string, st: Stats): void {
  if (myUid === 0 || (st.mode & 0o300) === 0o300) return;
  chmodSync(fsPath(path), (st.mode & 0o7777) | 0o700);
}

export function insideRemoved(path: string, removed: Set<string>): boolean {
  if (removed.size === 0) return false;
  for (let p = parentOf(path); p !== ''; p = parentOf(p)) if (removed.has(p)) return true;
  return false;
}

export const parentOf = (path: string) => {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
};
