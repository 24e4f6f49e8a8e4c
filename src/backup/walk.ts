import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import type { ExcludeMatcher } from './excludes.js';
import { type FileStat, statOf } from './file-ops.js';
import { under } from './layout.js';
import { decodeName, fsPath } from './names.js';
import { byName } from './order.js';

/**
 * A walk of a tree, parents before children, names sorted (so a manifest is the same for the
 * same tree). Folder listings give each name's type, so regular files are not stat'ed here
 * unless asked: the worker that opens the file stats it then (one system call a file fewer).
 * Synchronous calls, a few hundred folders between yields: much faster than promise calls,
 * and signals still get in. With every file stat'ed, find-scan.ts gives the same walk cheaper.
 * walkBatches gives it a batch at a time; walkTree, whole.
 */

export interface WalkEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  /** Always for folders and symlinks; for files only with `statFiles`. */
  st?: FileStat;
  target?: string;
}

export interface WalkOptions {
  exclude?: ExcludeMatcher;
  /** `dev:ino` of folders never to enter (the backups folder, if it sits inside a system). */
  avoid?: Set<string>;
  statFiles?: boolean;
  signal?: AbortSignal;
}

export interface WalkResult {
  entries: WalkEntry[];
  skipped: { path: string; reason: string }[];
  /** Entries matching an exclude, not entered. */
  excluded: number;
}

/** What a walk passed over, filled in as it goes (final once its batches are all taken). */
export type WalkSummary = Omit<WalkResult, 'entries'>;

export async function walkTree(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const summary: WalkSummary = { skipped: [], excluded: 0 };
  const entries: WalkEntry[] = [];
  for await (const batch of walkBatches(root, summary, options)) for (const e of batch) entries.push(e);
  return { entries, ...summary };
}

/** Entries per batch: enough to keep a consumer's per-batch cost small, few enough to hold. */
const batchEntries = 512;

/**
 * The walk, a batch at a time, in its order: what a consumer does not keep is not held, so a
 * walk of a million files costs the folders still to visit, not the million entries.
 */
export async function* walkBatches(
  root: string,
  summary: WalkSummary,
  options: WalkOptions = {},
): AsyncGenerator<WalkEntry[]> {
  let entries: WalkEntry[] = [];
  const dirs: string[] = [''];
  let sinceYield = 0;
  while (dirs.length > 0) {
    const rel = dirs.pop()!;
    // Names as bytes, decoded losslessly (names.ts): a name that is not UTF-8 is kept too.
    const listing = readdirSync(fsPath(under(root, rel)), { withFileTypes: true, encoding: 'buffer' })
      .map((dirent) => ({ dirent, name: decodeName(dirent.name) }))
      .sort(byName);
    const children: string[] = [];
    for (const { dirent, name } of listing) {
      const path = rel ? `${rel}/${name}` : name;
      let isDir = dirent.isDirectory();
      if (dirent.isFile() && !options.statFiles) {
        if (options.exclude?.(path, false)) summary.excluded++;
        else entries.push({ path, type: 'file' });
        continue;
      }
      const st = lstatSync(fsPath(under(root, path)), { throwIfNoEntry: false });
      if (!st) {
        // Listed a moment ago and gone now: say so rather than fail the whole walk.
        summary.skipped.push({ path, reason: 'vanished during the walk' });
        continue;
      }
      isDir = st.isDirectory();
      if (options.exclude?.(path, isDir)) {
        summary.excluded++;
        continue;
      }
      const s = statOf(st);
      if (st.isFile()) entries.push({ path, type: 'file', st: s });
      else if (isDir) {
        if (options.avoid?.has(`${st.dev}:${st.ino}`)) {
          summary.skipped.push({ path, reason: kindReasons.backups });
          continue;
        }
        entries.push({ path, type: 'dir', st: s });
        children.push(path);
      } else if (st.isSymbolicLink())
        entries.push({
          path,
          type: 'symlink',
          st: s,
          target: decodeName(readlinkSync(fsPath(under(root, path)), { encoding: 'buffer' })),
        });
      else summary.skipped.push({ path, reason: specialKind(st) });
    }
    // Reverse so the pop above visits them in name order.
    for (let i = children.length - 1; i >= 0; i--) dirs.push(children[i]!);
    if (entries.length >= batchEntries) {
      yield entries;
      entries = [];
    }
    if (++sinceYield >= 200) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
      options.signal?.throwIfAborted();
    }
  }
  if (entries.length > 0) yield entries;
}

/** Why an entry is skipped: shared with find-scan.ts, which must say the same. */
export const kindReasons = {
  socket: 'socket (recreated by its server)',
  fifo: 'FIFO',
  device: 'device',
  other: 'not a file, folder or symlink',
  backups: 'the backups folder itself',
};

export function specialKind(st: Stats): string {
  if (st.isSocket()) return kindReasons.socket;
  if (st.isFIFO()) return kindReasons.fifo;
  if (st.isCharacterDevice() || st.isBlockDevice()) return kindReasons.device;
  return kindReasons.other;
}
