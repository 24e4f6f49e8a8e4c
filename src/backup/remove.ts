import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';

/**
 * `rm -rf` that also removes what a backup faithfully keeps read-only (a 0555 folder cannot be
 * emptied by its owner): on EACCES, give the owner write access to every folder and try again.
 * A folder that fills while it is emptied (ENOTEMPTY: the `cp` of a backup killed a moment
 * ago, still linking into its temporary folder, see link-farm.ts) is tried again a few times.
 */
export async function removeTree(path: string): Promise<void> {
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

function makeWritable(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return;
  chmodSync(path, (st.mode & 0o7777) | 0o700);
  for (const name of readdirSync(path)) makeWritable(`${path}/${name}`);
}
