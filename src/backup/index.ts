/**
 * The backup engine (DESIGN §7): what phases, rollback, gate and the `backup` commands use.
 * Layout: layout.ts (names), manifest.ts (the manifest), create.ts, verify.ts, restore.ts with
 * swap.ts (crash-safe replace), prune.ts, clean.ts (leftovers of killed runs). An incremental
 * backup: link-farm.ts (cp -al of the previous one), find-scan.ts (the source listed by find),
 * listing.ts (nothing changed: the previous manifest reused), incremental.ts and patch.ts (the
 * farm patched to the source); fill.ts builds file by file when none of that applies.
 */
export { cleanTemporaries } from './clean.js';
export { createBackup } from './create.js';
export { estimateBackup } from './estimate.js';
export { compileExcludes, rsyncExcludeArgs } from './excludes.js';
export { parseBackupId } from './layout.js';
export { protectedBackups } from './protect.js';
export { type PruneOptions, type PruneResult, pruneBackups } from './prune.js';
export { planRestoreTarget, RestoreRefusedError, resolveTarget, restoreBackup } from './restore.js';
export { listBackups, readBackup } from './store.js';
export * from './types.js';
export { verifyBackup } from './verify.js';
