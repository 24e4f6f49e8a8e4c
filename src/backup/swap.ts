import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir, writeJsonAtomic } from '../core/atomic.js';
import type { Workspace } from '../core/workspace.js';
import { carryOver } from './carry-over.js';
import { journalPrefix } from './layout.js';
import { removeTree } from './remove.js';

/**
 * Replacing a live target by a tree built beside it, recoverably. A journal in
 * `backups/.restore-<pid>-<rand>.json` names the three paths before anything is created:
 *
 *   building   `fresh` (.<name>.gnrm-new-*) is being built; the target is untouched.
 *   swapping   fresh is complete: rename target → `aside` (.<name>.gnrm-old-*), fresh → target,
 *              move what the backup does not hold (excluded paths, sockets) from aside into
 *              the target, delete aside, delete the journal.
 *
 * A run killed at any point leaves the journal; the next backup command (cleanTemporaries)
 * finishes the job: in `building` it deletes fresh; in `swapping` it rolls forward — puts
 * fresh in place if the target is missing, finishes the carry-over, deletes aside. The old
 * tree is never deleted before the new one is in place.
 */

export interface Journal {
  stage: 'building' | 'swapping';
  backupId: string;
  target: string;
  fresh: string;
  aside: string;
  /** Whether the target existed (and so gets moved aside). */
  hadTarget: boolean;
  excludes: string[];
  /** Folder entries of the backup (path, mtime), to put times back after the carry-over. */
  dirTimes: Array<[string, number]>;
  rootMtimeMs?: number;
}

export interface SwapHandle {
  file: string;
  journal: Journal;
}

export async function beginSwap(
  ws: Workspace,
  init: Omit<Journal, 'stage' | 'fresh' | 'aside'>,
): Promise<SwapHandle> {
  const rand = randomBytes(4).toString('hex');
  const parent = dirname(init.target);
  const name = basename(init.target);
  const journal: Journal = {
    ...init,
    stage: 'building',
    fresh: join(parent, `.${name}.gnrm-new-${rand}`),
    aside: join(parent, `.${name}.gnrm-old-${rand}`),
  };
  const file = join(ws.backupsDir, `${journalPrefix}${process.pid}-${rand}.json`);
  await writeJsonAtomic(file, journal);
  return { file, journal };
}

/**
 * Fresh is complete: swap it in. From here on, a crash is rolled forward. Returns the paths of
 * the old tree that could not be carried over (see carry-over.ts).
 */
export async function completeSwap(handle: SwapHandle): Promise<string[]> {
  handle.journal.stage = 'swapping';
  await writeJsonAtomic(handle.file, handle.journal);
  const { target, fresh, aside } = handle.journal;
  if (handle.journal.hadTarget) renameSync(target, aside);
  renameSync(fresh, target);
  await fsyncDir(dirname(target));
  return finishSwap(handle);
}

/** Abandon a swap still in `building`: the target was never touched. */
export async function abandonSwap(handle: SwapHandle): Promise<void> {
  await removeTree(handle.journal.fresh);
  await rm(handle.file, { force: true });
}

async function finishSwap(handle: SwapHandle): Promise<string[]> {
  const j = handle.journal;
  const aside = lstatSync(j.aside, { throwIfNoEntry: false });
  let leftOut: string[] = [];
  if (aside) {
    if (aside.isDirectory() && lstatSync(j.target).isDirectory())
      leftOut = carryOver(j.aside, j.target, j.excludes, j.dirTimes, j.rootMtimeMs).leftOut;
    await removeTree(j.aside);
  }
  await rm(handle.file, { force: true });
  return leftOut;
}

/** Finish or undo the swap a killed run left behind. Returns what it did, for the operator. */
export async function recoverSwap(file: string): Promise<string> {
  const journal = JSON.parse(readFileSync(file, 'utf8')) as Journal;
  const handle = { file, journal };
  if (journal.stage === 'building') {
    await abandonSwap(handle);
    return `removed ${journal.fresh}, a restore into ${journal.target} that was stopped before the swap`;
  }
  if (exists(journal.fresh)) {
    if (exists(journal.target)) {
      // Stopped before the first rename: the target is the old tree, whole.
      await abandonSwap(handle);
      return `removed ${journal.fresh}; ${journal.target} was never replaced`;
    }
    renameSync(journal.fresh, journal.target);
  } else if (!exists(journal.target) && exists(journal.aside)) {
    // Neither fresh nor target: put the old tree back rather than leave nothing.
    renameSync(journal.aside, journal.target);
    await rm(file, { force: true });
    return `put ${journal.target} back as it was before an interrupted restore of ${journal.backupId}`;
  }
  const leftOut = await finishSwap(handle);
  return (
    `finished the restore of ${journal.backupId} into ${journal.target} that was stopped mid-swap` +
    (leftOut.length ? ` (not carried over, under a symlink of the backup: ${leftOut.join(', ')})` : '')
  );
}

function exists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}
