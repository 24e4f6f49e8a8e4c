import { isUtf8 } from 'node:buffer';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { compileExcludes, type ExcludeMatcher, escapeGlob, findPruneTests } from './excludes.js';
import type { FileStat } from './file-ops.js';
import { byName } from './order.js';
import { entryRecord, SetDigest } from './set-digest.js';
import { kindReasons, type WalkEntry, type WalkResult, type WalkSummary } from './walk.js';

/**
 * The walk of walk.ts with every entry stat'ed (`statFiles`), done by one `find -printf`
 * process: an unchanged incremental backup must lstat every source file to see it is
 * unchanged, and from Node each lstat costs a call, a Stats object with four Dates and their
 * garbage — ~0.3 s for the 20,000 files of the benchmark — where find does the same system
 * calls in ~0.1 s on the other core, and reading its output here costs ~0.05 s.
 *
 * The result is the one walkTree gives, entry for entry: the same order (names sorted, parents
 * first), excludes (a folder excluded is not entered), the backups folder and special files
 * skipped with the same reasons, and the same numbers (Node's mtimeMs is sec × 1000 +
 * nsec / 10⁶, computed here from find's digits the same way). Where it could differ it gives
 * up and the caller walks with Node: no GNU find, any error (an entry that vanished, a folder
 * it cannot read), a name that is not valid UTF-8, a time before 1970.
 */

// One record per entry: the numbers, then the path and the symlink target, NUL-terminated.
// The change time (%C@) is not used by the walk: it makes two listings of a tree equal only
// if nothing was written to it in between, even with its mtimes put back (listing.ts).
const format = (path: '%P' | '%p') => `%y %s %T@ %C@ %m %U %G %n %D %i\\0${path}\\0%l\\0`;

/** One record of a listing, as its folder's walk takes it: `name` is the end of `path`. */
export interface Found {
  path: string;
  name: string;
  kind: string;
  st: FileStat;
  devIno: string;
  target: string;
}

/** What the walk will not enter: the system's excludes, and the backups folder. */
export interface Prune {
  excludes: readonly string[];
  backupsDir?: string;
}

/** find's listing of a tree, left in its files: read whole only for a small tree (readListing). */
export interface Listing {
  /** The listing is these files' bytes one after the other (one find, or several: splitFind). */
  parts: string[];
  /** sha256 of its bytes: what a backup keeps of it (listing.ts). */
  hash: string;
  records: number;
  /** Regular files listed and their bytes: a progress meter's total (excluded files count too). */
  files: number;
  bytes: number;
}

/**
 * find's listing of `root` in `scratch` (and `scratch.1`, `.2`: splitFind), hashed and counted
 * a MiB at a time (undefined when find fails). Kept with a backup, its hash tells the next one
 * whether anything changed at all (listing.ts). The caller removes the files (removeListing).
 */
export async function findListing(root: string, scratch: string, prune: Prune): Promise<Listing | undefined> {
  const split = splitFind(root, prune);
  const parts = split ? [scratch, ...split.groups.map((_, i) => `${scratch}.${i + 1}`)] : [scratch];
  const ran = split
    ? [
        runFind(['-H', root, '-maxdepth', '1'], [], parts[0]!, '%P'),
        ...split.groups.map((g, i) =>
          runFind(['-P', ...g, '-mindepth', '1'], split.prune, parts[i + 1]!, '%p', root),
        ),
      ]
    : [runFind(['-H', root], pruneTests(root, prune), scratch, '%P')];
  const ok = (await Promise.all(ran)).every(Boolean);
  const listing = { parts, hash: '', records: 0, files: 0, bytes: 0 };
  try {
    if (ok) return { ...listing, ...hashListing(parts) };
  } catch {
    // unreadable: as if find failed
  }
  removeListing(listing);
  return undefined;
}

export function removeListing(listing: Listing): void {
  for (const part of listing.parts) rmSync(part, { force: true });
}

/** The listing's bytes, when it holds no more than `maxEntries` records. */
export function readListing(listing: Listing, maxEntries = Number.POSITIVE_INFINITY): Buffer | undefined {
  if (listing.records > maxEntries) return undefined;
  const parts = listing.parts.map((p) => readFileSync(p));
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * One find lists a million files in 3.4 s here, on one core; two, each given half the root's
 * folders, in 1.7 s. So the root and its entries are listed by one find (`-maxdepth 1`), and
 * what is below the root's folders by `processes` more, run in the root with those folders
 * as start points (`-mindepth 1`: not listed twice), printing paths relative to the root as
 * the one find does (`%p` of a relative start point is `%P` of the root's).
 *
 * Folders the walk does not enter (excluded, or the backups folder) are not start points; the
 * prune tests inside are the relative ones. undefined (one find) when there are fewer than
 * two folders to share, or a name find would read as an option or expression (`-x`, `(`, `!`,
 * `,`), or one that is not UTF-8 (not a spawn argument). The split depends only on the root's
 * names, so an unchanged tree gives the same listing, byte for byte, every time.
 */
function splitFind(
  root: string,
  prune: Prune,
  processes = 2,
): { groups: string[][]; prune: string[] } | undefined {
  try {
    const entries = readdirSync(root, { withFileTypes: true, encoding: 'buffer' });
    const exclude = compileExcludes(prune.excludes);
    const backups = prune.backupsDir ? statSync(prune.backupsDir, { throwIfNoEntry: false }) : undefined;
    const dirs: string[] = [];
    for (const e of entries) {
      if (!isUtf8(e.name)) return undefined;
      const name = e.name.toString('utf8');
      if (/^[-()!,]/.test(name)) return undefined;
      if (!e.isDirectory() || exclude(name, true)) continue;
      if (backups) {
        const st = lstatSync(join(root, name), { throwIfNoEntry: false });
        if (st && st.dev === backups.dev && st.ino === backups.ino) continue;
      }
      dirs.push(name);
    }
    if (dirs.length < processes) return undefined;
    dirs.sort();
    const groups: string[][] = Array.from({ length: processes }, () => []);
    for (const [i, d] of dirs.entries()) groups[i % processes]!.push(d);
    return { groups, prune: pruneTests('', prune) };
  } catch {
    // A root or backups folder that cannot be read: one find, which fails as it always did.
    return undefined;
  }
}

function hashListing(parts: string[]): Omit<Listing, 'parts'> {
  const sha = createHash('sha256');
  let nuls = 0;
  let files = 0;
  let bytes = 0;
  // Each record starts "<type> <size> ": read byte by byte across reads, the rest skipped.
  // at: 0 the type, 1 the space, 2 the size's digits, 3 done until the record's third NUL.
  let at = 0;
  let isFile = false;
  let size = 0;
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const file of parts) {
    const fd = openSync(file, 'r');
    try {
      for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
        const part = buf.subarray(0, n);
        sha.update(part);
        let i = 0;
        while (i < n) {
          if (at === 3) {
            const z = part.indexOf(0, i);
            if (z < 0) break;
            i = z + 1;
            if (++nuls % 3 === 0) at = 0;
            continue;
          }
          const c = part[i++]!;
          if (at === 0) {
            isFile = c === 0x66; // 'f'
            size = 0;
            at = 1;
          } else if (at === 1) at = 2;
          else if (c >= 0x30 && c <= 0x39) size = size * 10 + (c - 0x30);
          else {
            if (isFile) {
              files++;
              bytes += size;
            }
            at = 3;
            if (c === 0 && ++nuls % 3 === 0) at = 0;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  }
  return { hash: sha.digest('hex'), records: Math.floor(nuls / 3), files, bytes };
}

/**
 * find tests for what the walk will not enter: the excludes (excludes.ts) and the backups folder.
 * `root` '': for finds run in the root with its folders as start points (splitFind), whose
 * paths are relative and whose start points are never tested (`-mindepth 1`).
 */
export function pruneTests(root: string, prune: Prune): string[] {
  const tests = findPruneTests(root, prune.excludes);
  if (prune.backupsDir) tests.push(['-samefile', prune.backupsDir]);
  if (tests.length === 0) return [];
  const any = tests.flatMap((t, i) => (i === 0 ? t : ['-o', ...t]));
  // Below the root only: the root itself is always entered.
  return root === '' ? any : ['-path', `${escapeGlob(root)}/*`, '(', ...any, ')'];
}

/** The walk a listing describes; undefined if it cannot be read as one. */
export function walkFromListing(
  listing: Buffer,
  options: { exclude?: ExcludeMatcher; avoid?: Set<string> } = {},
): WalkResult | undefined {
  const text = listing.toString('utf8');
  if (text.includes('\uFFFD')) return undefined;
  const children = parseRecords(text);
  return children && assembleWalk(children, options);
}

/**
 * find writes its listing to a file, not a pipe: this process is busy meanwhile (the previous
 * manifest), and a pipe it does not drain would stop find after 64 KiB.
 */
function runFind(
  start: string[],
  prune: string[],
  scratch: string,
  path: '%P' | '%p',
  cwd?: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    const print = ['-fprintf', scratch, format(path)];
    // find shares one output file between its -fprintf actions.
    const args = prune.length ? ['(', ...prune, ')', ...print, '-prune', '-o', ...print] : print;
    const child = spawn('find', [...start, ...args], { stdio: 'ignore', ...(cwd ? { cwd } : {}) });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

/** Records grouped by the folder holding them ('' for the root); undefined if one is odd. */
function parseRecords(s: string): Map<string, Found[]> | undefined {
  const children = new Map<string, Found[]>();
  for (const r of records(s)) {
    if (!r) return undefined;
    const parent = folderOf(r);
    const list = children.get(parent);
    if (list) list.push(r);
    else children.set(parent, [r]);
  }
  return children;
}

/** The folder a record is in ('' for the root). */
const folderOf = (r: Found) =>
  r.path.length === r.name.length ? '' : r.path.slice(0, r.path.length - r.name.length - 1);

/** The records of a listing's text, the root's left out; undefined for one that is odd. */
export function* records(s: string): Generator<Found | undefined> {
  let pos = 0;
  // Fields are read in place (indexOf, slice) rather than split: 20,000 records.
  const field = () => {
    const sp = s.indexOf(' ', pos);
    const v = s.slice(pos, sp);
    pos = sp + 1;
    return v;
  };
  while (pos < s.length) {
    const z1 = s.indexOf('\0', pos);
    const z2 = s.indexOf('\0', z1 + 1);
    const z3 = s.indexOf('\0', z2 + 1);
    if (z3 < 0) return yield undefined;
    const kind = field();
    const size = field();
    const time = field();
    const ctime = field();
    const mode = field();
    const uid = field();
    const gid = field();
    const nlink = field();
    const dev = field();
    if (pos > z1) return yield undefined;
    const ino = s.slice(pos, z1);
    const path = s.slice(z1 + 1, z2);
    const target = s.slice(z2 + 1, z3);
    pos = z3 + 1;
    if (path === '') continue; // the root itself
    const dot = time.indexOf('.');
    const cdot = ctime.indexOf('.');
    if (dot < 1 || time.charCodeAt(0) === 0x2d) return yield undefined; // '-': before 1970
    if (cdot < 1 || ctime.charCodeAt(0) === 0x2d) return yield undefined;
    const st: FileStat = {
      mode: Number.parseInt(mode, 8),
      // Exactly Node's arithmetic (lib/internal/fs/utils.js msFromTimeSpec).
      mtimeMs: Number(time.slice(0, dot)) * 1000 + Number(time.slice(dot + 1, dot + 10)) / 1e6,
      size: Number(size),
      uid: Number(uid),
      gid: Number(gid),
      nlink: Number(nlink),
      ctimeMs: Number(ctime.slice(0, cdot)) * 1000 + Number(ctime.slice(cdot + 1, cdot + 10)) / 1e6,
      ino: Number(ino),
    };
    const slash = path.lastIndexOf('/');
    const name = slash < 0 ? path : path.slice(slash + 1);
    yield { path, name, kind, st, devIno: kind === 'd' ? `${Number(dev)}:${Number(ino)}` : '', target };
  }
}

/**
 * The set digest (set-digest.ts) of what a backup of the listed tree holds: each folder,
 * file and symlink the walk would keep (excludes and the backups folder left out, as
 * assembleWalk leaves them out), by entryRecord. Read a MiB at a time: a million records are
 * never held. Undefined when a record cannot be read (a name not UTF-8, a time before 1970).
 */
export function listingDigest(
  listing: Listing,
  options: { exclude?: ExcludeMatcher; avoid?: Set<string> } = {},
): string | undefined {
  const digest = new SetDigest();
  /** Folders not entered: what find listed inside them is not kept. */
  const notEntered = new Set<string>();
  const inside = (path: string) => {
    if (notEntered.size === 0) return false;
    for (let s = path.lastIndexOf('/'); s > 0; s = path.lastIndexOf('/', s - 1))
      if (notEntered.has(path.slice(0, s))) return true;
    return false;
  };
  for (const chunk of recordChunks(listing)) {
    if (!chunk) return undefined;
    const text = chunk.bytes.toString('utf8');
    if (text.includes('\uFFFD')) return undefined;
    for (const r of records(text)) {
      if (!r) return undefined;
      const isDir = r.kind === 'd';
      if (inside(r.path)) continue;
      if (options.exclude?.(r.path, isDir) || (isDir && options.avoid?.has(r.devIno))) {
        if (isDir) notEntered.add(r.path);
        continue;
      }
      const type = isDir ? 'dir' : r.kind === 'f' ? 'file' : r.kind === 'l' ? 'symlink' : undefined;
      if (type) digest.add(entryRecord(type, r.path, r.st, r.st.size, r.target));
    }
  }
  return digest.hex();
}

/**
 * A listing's files a MiB at a time, each chunk cut after its last whole record (every third
 * NUL): `part`, the file, and `base`, where the chunk starts in it. undefined (and the end) for
 * a file that ends inside a record.
 */
export function* recordChunks(
  listing: Listing,
): Generator<{ part: number; base: number; bytes: Buffer } | undefined> {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const [part, file] of listing.parts.entries()) {
    const fd = openSync(file, 'r');
    try {
      let rest = Buffer.alloc(0);
      let base = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        const bytes = rest.length ? Buffer.concat([rest, buf.subarray(0, n)]) : buf.subarray(0, n);
        let end = 0;
        for (let i = bytes.indexOf(0), k = 1; i >= 0; i = bytes.indexOf(0, i + 1), k++)
          if (k % 3 === 0) end = i + 1;
        if (end > 0) yield { part, base, bytes: bytes.subarray(0, end) };
        base += end;
        rest = Buffer.from(bytes.subarray(end));
        if (n === 0) {
          if (rest.length > 0) return yield undefined;
          break;
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** walkTree's loop, over find's records instead of readdir and lstat. */
function assembleWalk(
  children: Map<string, Found[]>,
  options: { exclude?: ExcludeMatcher; avoid?: Set<string> },
): WalkResult {
  const entries: WalkEntry[] = [];
  const summary: WalkSummary = { skipped: [], excluded: 0 };
  for (const folder of walkInOrder((rel) => children.get(rel), options, summary))
    for (const e of folder) entries.push(e);
  return { entries, ...summary };
}

/**
 * The walk's entries a folder at a time, in its order (order.ts): each folder's records, from
 * `childrenOf`, sorted by name, the folders taken depth first. Excluded entries and the backups
 * folder are not entered; what is left out goes into `summary`.
 */
export function* walkInOrder(
  childrenOf: (rel: string) => Found[] | undefined,
  options: { exclude?: ExcludeMatcher; avoid?: Set<string> },
  summary: WalkSummary,
): Generator<WalkEntry[]> {
  const dirs: string[] = [''];
  while (dirs.length > 0) {
    const rel = dirs.pop()!;
    const listing = (childrenOf(rel) ?? []).sort(byName);
    const entries: WalkEntry[] = [];
    const subdirs: string[] = [];
    for (const c of listing) {
      const { path } = c;
      const isDir = c.kind === 'd';
      if (options.exclude?.(path, isDir)) {
        summary.excluded++;
        continue;
      }
      if (c.kind === 'f') entries.push({ path, type: 'file', st: c.st });
      else if (isDir) {
        if (options.avoid?.has(c.devIno)) {
          summary.skipped.push({ path, reason: kindReasons.backups });
          continue;
        }
        // A copy: `path` is a slice of its folder's records, which a folder's path, kept to
        // the end (its attributes are set last), would keep too: 4 KB a folder, 100 MB at 1M files.
        const own = Buffer.from(path).toString();
        entries.push({ path: own, type: 'dir', st: c.st });
        subdirs.push(own);
      } else if (c.kind === 'l') entries.push({ path, type: 'symlink', st: c.st, target: c.target });
      else summary.skipped.push({ path, reason: kindReason(c.kind) });
    }
    for (let i = subdirs.length - 1; i >= 0; i--) dirs.push(subdirs[i]!);
    if (entries.length > 0) yield entries;
  }
}

function kindReason(kind: string): string {
  if (kind === 's') return kindReasons.socket;
  if (kind === 'p') return kindReasons.fifo;
  if (kind === 'c' || kind === 'b') return kindReasons.device;
  return kindReasons.other;
}
