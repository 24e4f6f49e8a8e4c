/**
 * The process umask, read once. `open(path, flags, mode)` and `mkdir(path, mode)` give
 * `mode & ~umask`; when that is already the wanted mode (no bits masked, no set-id or sticky
 * bit), the chmod that would follow is skipped — one system call per file and folder.
 */
// process.umask() without an argument reads it (in worker threads too, where setting throws).
const umask = process.umask();

export function modeNeedsChmod(mode: number): boolean {
  return (mode & 0o7000) !== 0 || (mode & umask) !== 0;
}
