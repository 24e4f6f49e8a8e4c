import { spawnSync } from 'node:child_process';

/**
 * What `rsync -a --checksum --dry-run -i --delete` would change to make `b` equal to `a`: one
 * itemized line per difference (content, type, mode, time, link target, extra or missing
 * entry), none when the trees are the same. Works on names that are not UTF-8, as rsync does.
 */
export function rsyncDiff(a: string, b: string): string[] {
  const r = spawnSync('rsync', ['-a', '--checksum', '--dry-run', '-i', '--delete', `${a}/`, `${b}/`], {
    encoding: 'latin1',
  });
  if (r.status !== 0) throw new Error(`rsync exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}
