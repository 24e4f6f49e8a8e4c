import { type Stats, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import type { System } from '../plan/types.js';
import { compileExcludes, type ExcludeMatcher } from './excludes.js';
import { statOf } from './file-ops.js';
import { walkFromListing } from './find-scan.js';
import { type ListingIndex, streamListing } from './listing-walk.js';
import { specialKind, type WalkEntry, type WalkResult, type WalkSummary, walkBatches } from './walk.js';

/**
 * What a system is on disk right now: a folder (walked, excludes applied) or a single file.
 * The system path itself is followed if it is a symlink (`sites-enabled/x.conf` → the file it
 * names): the operator named it for its content. Everything inside is taken as it is.
 */

export interface SourceScan extends WalkResult {
  source: string;
  sourceType: 'dir' | 'file';
  root: Stats;
  /** Read from find's listing (find-scan.ts) rather than walked by Node. */
  listed?: boolean;
}

export function sourcePath(ws: Workspace, system: System): string {
  return resolve(ws.root, system.path);
}

/** The system's root, or undefined when it does not exist. Not a file or folder: exit 2. */
export function statSource(system: System, source: string): Stats | undefined {
  let st: Stats | undefined;
  try {
    st = statSync(source, { throwIfNoEntry: false });
  } catch (err) {
    throw new InputError(
      `system ${system.name}: cannot read ${source} (${(err as NodeJS.ErrnoException).code})`,
      { cause: err },
    );
  }
  if (st && !st.isDirectory() && !st.isFile())
    throw new InputError(`system ${system.name}: ${source} is a ${specialKind(st)}, not a file or folder`);
  return st;
}

export interface SourceOptions {
  signal?: AbortSignal;
  statFiles?: boolean;
  /** find's listing of the source (find-scan.ts): the walk is read from it. */
  listing?: Buffer;
  /** find's listing of a large source, indexed (listing-walk.ts): the walk is read from it a folder at a time. */
  index?: ListingIndex;
}

/** The source as a walk given a batch at a time; `summary` is final once they are all taken. */
export interface SourceStream {
  source: string;
  sourceType: 'dir' | 'file';
  root: Stats;
  batches: AsyncIterable<WalkEntry[]>;
  summary: WalkSummary;
  /** Read from find's listing (find-scan.ts) rather than walked by Node. */
  listed?: boolean;
}

export function streamSource(
  ws: Workspace,
  system: System,
  options: SourceOptions = {},
): SourceStream | undefined {
  const source = sourcePath(ws, system);
  const root = statSource(system, source);
  if (!root) return undefined;
  if (root.isFile()) {
    const entries: WalkEntry[] = [{ path: basename(source), type: 'file', st: statOf(root) }];
    return {
      source,
      sourceType: 'file',
      root,
      batches: once(entries),
      summary: { skipped: [], excluded: 0 },
    };
  }
  const { exclude, avoid } = walkPrune(ws, system);
  const { listing, index, ...walkOptions } = options;
  if (index) {
    const summary: WalkSummary = { skipped: [], excluded: 0 };
    const batches = streamListing(index, { exclude, avoid }, summary);
    return { source, sourceType: 'dir', root, batches, summary, listed: true };
  }
  // find's listing has every file stat'ed, more cheaply than Node can (find-scan.ts).
  const listed = listing !== undefined ? walkFromListing(listing, { exclude, avoid }) : undefined;
  if (listed) {
    const { entries, ...summary } = listed;
    return { source, sourceType: 'dir', root, batches: once(entries), summary, listed: true };
  }
  const summary: WalkSummary = { skipped: [], excluded: 0 };
  return {
    source,
    sourceType: 'dir',
    root,
    batches: walkBatches(source, summary, { exclude, avoid, ...walkOptions }),
    summary,
  };
}

/**
 * What a walk of the system does not enter: its excludes, and the backups folder — a system
 * that holds the workspace would otherwise back up its own backups, forever. Asked by the
 * walk and by the listing's digest (create.ts), which must leave out the same.
 */
export function walkPrune(ws: Workspace, system: System): { exclude: ExcludeMatcher; avoid: Set<string> } {
  const avoid = new Set<string>();
  const backups = statSync(ws.backupsDir, { throwIfNoEntry: false });
  if (backups) avoid.add(`${backups.dev}:${backups.ino}`);
  return { exclude: compileExcludes(system.exclude), avoid };
}

/** The whole walk at once (the link farm's patch compares it as a whole). */
export async function scanSource(
  ws: Workspace,
  system: System,
  options: SourceOptions = {},
): Promise<SourceScan | undefined> {
  const src = streamSource(ws, system, options);
  if (!src) return undefined;
  const entries: WalkEntry[] = [];
  for await (const batch of src.batches) for (const e of batch) entries.push(e);
  const { batches: _batches, summary, ...rest } = src;
  return { ...rest, entries, ...summary };
}

/** A walk already made, as a stream (the link farm's patch walked it and could not serve). */
export function streamOf(scan: SourceScan): SourceStream {
  const { entries, skipped, excluded, ...rest } = scan;
  return { ...rest, batches: once(entries), summary: { skipped, excluded } };
}

async function* once<T>(items: T): AsyncGenerator<T> {
  yield items;
}

/** A walk's entries paired with nothing, as joinByPath pairs them when there is no previous backup. */
export async function* alone(
  batches: AsyncIterable<WalkEntry[]>,
): AsyncGenerator<Array<[WalkEntry, undefined]>> {
  for await (const batch of batches) yield batch.map((e): [WalkEntry, undefined] => [e, undefined]);
}
