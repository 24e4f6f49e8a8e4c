import { readFileSync } from 'node:fs';

/**
 * Bytes this process has read so far, from Linux's /proc/self/io (`rchar`: every read(2), all
 * threads, the copy workers included). Backup progress is measured with it at the edge, so the
 * backup engine needs no progress plumbing: a backup reads each new file exactly once (copy
 * and hash in one read), a restore twice (verify, then copy). undefined off Linux.
 */
export function bytesReadSoFar(): number | undefined {
  try {
    const m = /^rchar:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
