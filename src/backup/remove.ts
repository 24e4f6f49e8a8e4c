import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fsPath } from './names.js';

/**
 * `rm -rf` that also removes what a backup faithfully keeps read-only (a 0555 folder cannot be
 * emptied by its owner): on EACCES, give the owner write access to every folder and try again.
 * A folder that fills while it is emptied (ENOTEMPTY: the `cp` of a backup killed a moment
 * ago, still linking into its temporary folder, see link-farm.ts) is tried again a few times.
 */
export async function removeTree(name: string): Promise<void> {
  const path = fsPath(name);
  // GNU rm where it can name the path: Node's recursive rm holds a promise an entry, 500 MB for
  // a million-file backup, where rm holds the folders it is in.
  if (typeof path === 'string' && (await rmProgram(path))) return;
  const options = { recursive: true, force: true, maxRetries: 5, retryDelay: 100 };
  try {
    await rm(path, options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
    makeWritable(path);
    await rm(path, options);
  }
}

/** `rm -rf`, tried a few times (a folder still filling); false when it did not remove it all. */
async function rmProgram(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const child = spawn('rm', ['-rf', '--', path], { stdio: 'ignore' });
      child.on('error', () => resolve(false));
      child.on('close', (code) => resolve(code === 0));
    });
    if (ok) return true;
    if (!lstatSync(path, { throwIfNoEntry: false })) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function makeWritable(path: string | Buffer): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return;
  chmodSync(path, (st.mode & 0o7777) | 0o700);
  // Names as bytes: one that is not UTF-8 must be found again (names.ts).
  const dir = typeof path === 'string' ? Buffer.from(path) : path;
  for (const name of readdirSync(path, { encoding: 'buffer' }))
    makeWritable(Buffer.concat([dir, Buffer.from('/'), name]));
}
