import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';

/**
 * `rm -rf` that also removes what a backup faithfully keeps read-only (a 0555 folder cannot be
 * emptied by its owner): on EACCES, give the owner write access to every folder and try again.
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
    makeWritable(path);
    await rm(path, { recursive: true, force: true });
  }
}

function makeWritable(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return;
  chmodSync(path, (st.mode & 0o7777) | 0o700);
  for (const name of readdirSync(path)) makeWritable(`${path}/${name}`);
}
