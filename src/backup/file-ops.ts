import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  linkSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';

/**
 * The per-file work of backup, verify and restore, as synchronous system calls. They run inside
 * worker threads (see pool.ts): a synchronous call costs one system call, where each promise
 * call costs a round trip through libuv's thread pool — on 20,000 small files that round trip,
 * not the disk, is what made Node 1.7× slower than `cp -a` (PERF-NOTES). Each byte is read once,
 * into one reused buffer, and hashed as it is written.
 */

export interface CopyTask {
  op: 'copy';
  src: string;
  dst: string;
  mode: number;
  mtimeMs: number;
  uid?: number;
  gid?: number;
}

/** Hard-link `from` (a file of an earlier backup) to `dst`; copy `src` instead when it cannot. */
export interface LinkTask extends Omit<CopyTask, 'op'> {
  op: 'link';
  from: string;
}

export interface HashTask {
  op: 'hash';
  path: string;
}

export type FileTask = CopyTask | LinkTask | HashTask;

export interface FileResult {
  sha256?: string;
  size?: number;
  linked?: boolean;
  error?: { code?: string; message: string };
}

const chunk = Buffer.allocUnsafe(1024 * 1024);
const readFlags = constants.O_RDONLY | constants.O_NOFOLLOW;
const createFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const uid = process.getuid?.() ?? -1;
const gid = process.getgid?.() ?? -1;

export function runTask(task: FileTask): FileResult {
  try {
    if (task.op === 'hash') return hashFile(task.path);
    if (task.op === 'link') {
      try {
        linkSync(task.from, task.dst);
        return { linked: true };
      } catch (err) {
        // The earlier backup lost that file, or it has too many links: copy instead.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'EMLINK') throw err;
      }
    }
    return copyFile(task);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: { ...(e.code ? { code: e.code } : {}), message: e.message } };
  }
}

function copyFile(task: Omit<CopyTask, 'op'>): FileResult {
  const fin = openSync(task.src, readFlags);
  let fout: number | undefined;
  try {
    fout = openSync(task.dst, createFlags, task.mode & 0o777);
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const n = readSync(fin, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
      for (let off = 0; off < n; ) off += writeSync(fout, chunk, off, n - off);
      size += n;
    }
    // Owner before mode: chown clears set-id bits. Only root can give files away.
    if (
      uid === 0 &&
      task.uid !== undefined &&
      task.gid !== undefined &&
      (task.uid !== uid || task.gid !== gid)
    )
      fchownSync(fout, task.uid, task.gid);
    // Always: open() applied the umask, and the set-id and sticky bits need chmod.
    fchmodSync(fout, task.mode);
    const t = task.mtimeMs / 1000;
    futimesSync(fout, t, t);
    return { sha256: hash.digest('hex'), size };
  } finally {
    if (fout !== undefined) closeSync(fout);
    closeSync(fin);
  }
}

function hashFile(path: string): FileResult {
  const fd = openSync(path, readFlags);
  try {
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
      size += n;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    closeSync(fd);
  }
}
