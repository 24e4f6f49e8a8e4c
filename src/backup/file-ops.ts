import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  ftruncateSync,
  futimesSync,
  linkSync,
  lstatSync,
  openSync,
  readSync,
  type Stats,
  statSync,
  writeSync,
} from 'node:fs';
import { fsPath } from './names.js';
import { fsTime } from './times.js';
import { modeNeedsChmod } from './umask.js';

/**
 * The per-file work of backup, verify and restore, as synchronous system calls. They run inside
 * worker threads (see pool.ts): a synchronous call costs one system call, where each promise
 * call costs a round trip through libuv's thread pool — on 20,000 small files that round trip,
 * not the disk, is what made Node 1.7× slower than `cp -a` (PERF-NOTES). Each file is stat'ed
 * here, on the open descriptor, rather than by the walk, which saves one system call a file.
 * Each byte is read once, into one reused buffer, and hashed as it is written.
 */

/** What a backup keeps of a file's inode. */
export interface FileStat {
  mode: number;
  mtimeMs: number;
  size: number;
  uid: number;
  gid: number;
  nlink: number;
  /** Change time and inode number: the evidence of a rewrite whose mtime was put back. */
  ctimeMs: number;
  ino: number;
}

/**
 * What a manifest entry keeps of a file to tell, by `unchanged`, whether it changed since. The
 * owner, change time and inode may be missing from a manifest; `unchanged` says what that means.
 */
export interface QuickCheck {
  size: number;
  mtimeMs: number;
  mode: number;
  uid?: number;
  gid?: number;
  ctimeMs?: number;
  ino?: number;
}

/** Back up one file: link it from the previous backup when unchanged (`prev`), else copy it. */
export interface BackupTask {
  op: 'backup';
  src: string;
  dst: string;
  /** Follow a symlink at `src` (the root of a single-file system only). */
  follow?: boolean;
  prev?: QuickCheck & { from: string };
}

/** Restore one file from a backup: check it is what the manifest says, copy it, set its attributes. */
export interface RestoreTask {
  op: 'restore';
  src: string;
  dst: string;
  mode: number;
  mtimeMs: number;
  size: number;
  uid?: number;
  gid?: number;
}

/** Verify one file: its stat and its hash. */
export interface HashTask {
  op: 'hash';
  path: string;
}

export type FileTask = BackupTask | RestoreTask | HashTask;

export interface FileResult {
  st?: FileStat;
  sha256?: string;
  /** Bytes actually read (a file growing during a backup is kept at what was read). */
  size?: number;
  linked?: boolean;
  /** Restore: the backup file is not what the manifest says (the copy was not made). */
  mismatch?: { kind: 'mode' | 'size' | 'type'; detail: string };
  error?: { code?: string; message: string };
}

const chunk = Buffer.allocUnsafe(1024 * 1024);
const readFlags = constants.O_RDONLY | constants.O_NOFOLLOW;
// Verify hashes what the walk listed as files; should one be swapped for a FIFO meanwhile,
// opening it must not wait for a writer (no effect on regular files).
const hashFlags = readFlags | constants.O_NONBLOCK;
const createFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const myUid = process.getuid?.() ?? -1;
const myGid = process.getgid?.() ?? -1;

export function runTask(task: FileTask): FileResult {
  try {
    if (task.op === 'hash') return hashFile(task.path);
    if (task.op === 'restore') return restoreFile(task);
    return backupFile(task);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: { ...(e.code ? { code: e.code } : {}), message: e.message } };
  }
}

function backupFile(task: BackupTask): FileResult {
  const { prev } = task;
  if (prev) {
    const st = task.follow ? statSync(fsPath(task.src)) : lstatSync(fsPath(task.src));
    const s = statOf(st);
    if (st.isFile() && unchanged(prev, s)) {
      try {
        linkSync(fsPath(prev.from), fsPath(task.dst));
        return { st: s, linked: true };
      } catch (err) {
        // The earlier backup lost that file, or it has too many links: copy instead.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'EMLINK') throw err;
      }
    }
  }
  const fin = openSync(fsPath(task.src), task.follow ? constants.O_RDONLY : readFlags);
  try {
    const st = fstatSync(fin);
    if (!st.isFile()) throw Object.assign(new Error(`${task.src} is no longer a file`), { code: 'ECHANGED' });
    const s = statOf(st);
    const copied = copyFrom(fin, s.size, task.dst, s, isSparse(st));
    return { st: s, ...copied };
  } finally {
    closeSync(fin);
  }
}

function restoreFile(task: RestoreTask): FileResult {
  const fin = openSync(fsPath(task.src), readFlags);
  try {
    const st = fstatSync(fin);
    if (!st.isFile()) return { mismatch: { kind: 'type', detail: 'not a file in the backup' } };
    if ((st.mode & 0o7777) !== task.mode)
      return {
        mismatch: { kind: 'mode', detail: `mode ${octal(st.mode & 0o7777)}, expected ${octal(task.mode)}` },
      };
    if (st.size !== task.size)
      return { mismatch: { kind: 'size', detail: `${st.size} bytes, expected ${task.size}` } };
    return copyFrom(fin, st.size, task.dst, task, isSparse(st));
  } finally {
    closeSync(fin);
  }
}

/**
 * Copies an open file to a new `dst` with the given attributes, hashing what it reads. A sparse
 * source (fewer blocks than its size needs) gives a sparse copy: blocks of zeros are not
 * written, only skipped over, and the size is set at the end — as `cp --sparse=auto` does.
 */
function copyFrom(
  fin: number,
  expected: number,
  dst: string,
  a: { mode: number; mtimeMs: number; uid?: number | undefined; gid?: number | undefined },
  sparse = false,
): { sha256: string; size: number } {
  const fout = openSync(fsPath(dst), createFlags, a.mode & 0o777);
  try {
    const read = readHashed(fin, expected, (n, at) => {
      if (sparse) writeSparse(fout, n, at);
      else for (let off = 0; off < n; ) off += writeSync(fout, chunk, off, n - off);
    });
    if (sparse) ftruncateSync(fout, read.size);
    // Owner before mode: chown clears set-id bits. Only root can give files away.
    if (myUid === 0 && a.uid !== undefined && a.gid !== undefined && (a.uid !== myUid || a.gid !== myGid))
      fchownSync(fout, a.uid, a.gid);
    // open() applied the umask and ignores set-id bits; chmod when that changed the mode.
    if (modeNeedsChmod(a.mode)) fchmodSync(fout, a.mode);
    const t = fsTime(a.mtimeMs);
    futimesSync(fout, t, t);
    return read;
  } finally {
    closeSync(fout);
  }
}

/**
 * Reads an open file to its end into `chunk`, hashing it; `onRead` gets each piece (`chunk[0, n)`,
 * at offset `at`) before the next read reuses the buffer.
 */
function readHashed(
  fd: number,
  expected: number,
  onRead?: (n: number, at: number) => void,
): { sha256: string; size: number } {
  const hash = createHash('sha256');
  let size = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    hash.update(chunk.subarray(0, n));
    onRead?.(n, size);
    size += n;
    // A short read that reaches the size fstat gave is the end: skip the read that says so.
    if (n < chunk.length && size === expected) break;
  }
  return { sha256: hash.digest('hex'), size };
}

const holeBlock = 4096;
const zeros = Buffer.alloc(holeBlock);

/** Writes `chunk[0, n)` at `at`, leaving out the blocks that are all zeros (holes). */
function writeSparse(fout: number, n: number, at: number): void {
  let start = -1;
  for (let off = 0; off < n; off += holeBlock) {
    const end = Math.min(off + holeBlock, n);
    const zero = chunk.compare(zeros, 0, end - off, off, end) === 0;
    if (!zero && start < 0) start = off;
    if (zero && start >= 0) {
      writeAt(fout, start, off, at);
      start = -1;
    }
  }
  if (start >= 0) writeAt(fout, start, n, at);
}

function writeAt(fout: number, from: number, to: number, at: number): void {
  for (let off = from; off < to; ) off += writeSync(fout, chunk, off, to - off, at + off);
}

/** Fewer 512-byte blocks allocated than the size needs: the file has holes. */
const isSparse = (st: Stats) => st.size > 0 && st.blocks * 512 < st.size;

function hashFile(path: string): FileResult {
  const fd = openSync(fsPath(path), hashFlags);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { st: statOf(st), mismatch: { kind: 'type', detail: 'not a file' } };
    return { st: statOf(st), ...readHashed(fd, st.size) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether a file is as a backup's manifest has it, to link it rather than copy it: rsync's
 * quick check (size, mtime, mode and owner — an entry of a manifest without owners matches
 * any) and also the change time and inode number. A rewrite of the same size whose mtime was
 * put back (`cp -p`, `rsync -t`, `tar x`, `touch -r`) still sets the ctime, which no one can
 * set back; a file replaced by another has another inode. An entry without them (a manifest of
 * version 1) never matches: the file is copied.
 */
export function unchanged<T extends QuickCheck>(prev: T | undefined, e: Required<QuickCheck>): prev is T {
  return (
    prev !== undefined &&
    prev.size === e.size &&
    prev.mtimeMs === e.mtimeMs &&
    prev.ctimeMs === e.ctimeMs &&
    prev.ino === e.ino &&
    prev.mode === e.mode &&
    (prev.uid === undefined || prev.uid === e.uid) &&
    (prev.gid === undefined || prev.gid === e.gid)
  );
}

export function statOf(st: Stats): FileStat {
  return {
    mode: st.mode & 0o7777,
    mtimeMs: st.mtimeMs,
    size: st.size,
    uid: st.uid,
    gid: st.gid,
    nlink: st.nlink,
    ctimeMs: st.ctimeMs,
    ino: st.ino,
  };
}

export const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
