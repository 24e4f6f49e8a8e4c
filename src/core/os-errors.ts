import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GnrMigrateError, InputError } from './errors.js';

/**
 * Faults of the machine, not of the tool: a read-only or full disk, a folder where a file should
 * be, missing permissions. Whatever the code was doing when one happened, it is an operator
 * error (exit 2) that names the path and says what to fix — never exit 70 with a stack.
 */
const remedies: Record<string, string> = {
  EACCES: 'permission denied: run as a user who may write there, or fix the mode or owner',
  EPERM: 'operation not permitted: check the owner, the mode and attributes such as chattr +i',
  EROFS: 'the file system is read-only: remount it read-write or use another folder (--cwd)',
  ENOSPC: 'no space left on the device: free some space and run again',
  EDQUOT: 'the disk quota is exceeded: free some space and run again',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'this is a folder where a file was expected',
  EEXIST: 'something is already there where a new file or folder was to be made',
  ENOTEMPTY: 'the folder is not empty',
  ENOENT: 'a folder on the path does not exist',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
  EIO: 'input/output error from the disk',
  EMFILE: 'too many open files: raise the limit (ulimit -n)',
  ENFILE: 'too many open files on the system',
  EBUSY: 'the file or folder is busy (a mount point?)',
  ETXTBSY: 'the file is busy',
  EXDEV: 'the paths are on different file systems',
};

/** The operator error for an OS error from the file system, or undefined for anything else. */
export function operatorErrorOf(err: unknown): GnrMigrateError | undefined {
  if (err instanceof GnrMigrateError) return err;
  const e = err as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string' || typeof e.syscall !== 'string')
    return undefined;
  const remedy = remedies[e.code];
  if (!remedy) return undefined;
  const where = e.path ? `${e.path}${e.dest ? ` → ${e.dest}` : ''}` : 'a file';
  return new InputError(`cannot ${verbOf(e.syscall)} ${where}: ${remedy} (${e.code})`, { cause: err });
}

function verbOf(syscall: string): string {
  if (/^(open|read|scandir|stat|lstat|access|readlink)/.test(syscall)) return 'open';
  if (/^(mkdir)/.test(syscall)) return 'create the folder';
  if (/^(rename|link|symlink|copyfile)/.test(syscall)) return 'move or link';
  if (/^(unlink|rmdir|rm)/.test(syscall)) return 'remove';
  return 'write';
}

/**
 * Creates the folder that a report or record goes into, reporting the first part of the path
 * that cannot be made. Unlike `mkdir -p` in Node, it does not retry forever under /proc (where
 * creating `/proc/nope` fails with ENOENT even though `/proc` exists: a CPU-bound loop).
 */
export async function ensureFolderFor(file: string, what: string): Promise<void> {
  const dir = dirname(file);
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    try {
      const st = await stat(at);
      if (!st.isDirectory()) throw new InputError(`cannot write ${what} ${file}: ${at} is not a folder`);
      break;
    } catch (err) {
      if (err instanceof InputError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR')
        throw new InputError(`cannot write ${what} ${file}: a part of ${at} is not a folder`);
      if (code !== 'ENOENT') throw operatorErrorOf(err) ?? err;
      missing.unshift(at);
      const parent = dirname(at);
      if (parent === at) break;
      at = parent;
    }
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      const op = operatorErrorOf(err);
      throw op ? new InputError(`cannot write ${what} ${file}: ${op.message}`, { cause: err }) : err;
    }
  }
}
