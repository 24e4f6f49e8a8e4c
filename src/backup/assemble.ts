import { unlinkSync } from 'node:fs';
import { FailedError } from '../core/errors.js';
import type { EntrySink } from './entry-sink.js';
import { type FileResult, type FileStat, type FileTask, runTask } from './file-ops.js';
import { entryLine } from './incremental.js';
import { under } from './layout.js';
import type { FileEntry, Manifest } from './manifest.js';
import { entrySeparator } from './manifest-format.js';
import { fsPath } from './names.js';
import { entryRecord, SetDigest } from './set-digest.js';
import type { WalkEntry } from './walk.js';

/**
 * The manifest entry lines and totals of a backup built file by file (fill.ts): each batch of
 * the walk's entries built (buildBatch), its part taken in the walk's order as it comes back
 * from the pool (pool.ts PartStream) and its lines sent to the sink at once, so nothing grows
 * with the files.
 * Lines are written by template (entryLine, fileLine), as JSON.stringify would write the
 * entries, without making a million objects to stringify.
 */
export interface Filled {
  /** The entries part of the manifest, written by the sink (entry-sink.ts). */
  entriesFile: string;
  totals: Manifest['totals'];
  vanished: string[];
  hardLinks: number;
  /** Every file as the walk saw it when it was read: the entries are what the walk says. */
  asWalked: boolean;
  /** The set digest of the entries kept, when asked for. */
  digest?: string;
}

/** One entry of the walk, and for a file the previous backup's entry it may be linked from. */
export interface Item {
  e: WalkEntry;
  prev?: FileEntry | undefined;
  /** A link farm's file that stays (fill.ts FarmPatch): its line, as the previous manifest has it. */
  kept?: string;
  /** The link farm has the previous file at this path: unlinked and copied over. */
  inFarm?: boolean;
}

/**
 * A run of the walk's entries, in its order, built where it is sent (a worker thread,
 * file-worker.ts, or this one): its files linked or copied, and every entry's manifest line and
 * set-digest member made there, so this thread handles a batch, not each file. Folders and
 * symlinks are made before (fill.ts): only their lines are made here.
 */
export interface BuildBatch {
  source: string;
  /** A single-file system: `source` is the file, followed if a symlink. */
  single: boolean;
  data: string;
  /** The previous backup's data/, which `prev` entries are linked from. */
  prevData?: string | undefined;
  digest: boolean;
  /** `data` is a link farm of the previous backup (fill.ts): a path taken there is the farm's fault. */
  farm?: boolean;
  /** Lines one per item ('' for an item without one) in `each`, not joined: merged by the caller. */
  each?: boolean;
  items: Item[];
}

/** What a batch adds to the backup: its lines joined as manifestBody joins them, its counts. */
export interface BuiltPart {
  text: string;
  lines: number;
  /** The set-digest sum of its members (SetDigest words), when asked for. */
  sum?: number[];
  dirs: number;
  symlinks: number;
  files: number;
  bytes: number;
  linkedFiles: number;
  linkedBytes: number;
  hardLinks: number;
  asWalked: boolean;
  vanished: string[];
  failed: string[];
  /** The farm is not what the previous manifest says (a path taken, or missing): the caller gives it up. */
  clash?: string;
  /** Asked for (BuildBatch `each`): the line of each item, '' for none; `text` is then ''. */
  each?: string[];
}

export function buildBatch(batch: BuildBatch): BuiltPart {
  const digest = batch.digest ? new SetDigest() : undefined;
  const lines: string[] = [];
  const part: BuiltPart = {
    text: '',
    lines: 0,
    dirs: 0,
    symlinks: 0,
    files: 0,
    bytes: 0,
    linkedFiles: 0,
    linkedBytes: 0,
    hardLinks: 0,
    asWalked: true,
    vanished: [],
    failed: [],
  };
  const lineOf = ({ e, prev, kept, inFarm }: Item): string | undefined => {
    if (kept !== undefined) {
      // The farm has it, linked from the previous backup, and the walk's stat says unchanged.
      const size = e.st!.size;
      part.files++;
      part.bytes += size;
      part.linkedFiles++;
      part.linkedBytes += size;
      if (e.st!.nlink > 1) part.hardLinks++;
      digest?.add(entryRecord('file', e.path, e.st!, size));
      return kept;
    }
    if (e.type !== 'file') {
      if (e.type === 'dir') part.dirs++;
      else part.symlinks++;
      digest?.add(entryRecord(e.type, e.path, e.st!, e.st!.size, e.target));
      return entryLine(JSON.stringify(e.path), e);
    }
    const r = inFarm ? overFarm(batch, e) : runTask(fileTask(batch, e, prev));
    part.asWalked &&= sameAsWalked(e, r);
    if (batch.farm && (r.error?.code === 'EEXIST' || r.error?.code === farmMissing)) {
      part.clash ??= `${e.path}: ${r.error.message}`;
      return undefined;
    }
    if (r.error) {
      if (r.error.code === 'ENOENT') part.vanished.push(e.path);
      else part.failed.push(`${e.path}: ${r.error.message}`);
      return undefined;
    }
    const st = r.st!;
    const sha256 = r.linked ? prev!.sha256 : r.sha256!;
    // What was read is what is kept: a file that grew mid-copy is recorded at the size copied.
    const size = r.linked ? st.size : r.size!;
    if (r.linked) {
      part.linkedFiles++;
      part.linkedBytes += size;
    }
    if (st.nlink > 1) part.hardLinks++;
    part.bytes += size;
    part.files++;
    digest?.add(entryRecord('file', e.path, st, size));
    return fileLine(JSON.stringify(e.path), st, size, sha256);
  };
  for (const item of batch.items) {
    const line = lineOf(item);
    if (line !== undefined) lines.push(line);
    else if (batch.each) lines.push('');
  }
  if (batch.each) {
    part.each = lines;
    part.lines = lines.reduce((n, l) => (l === '' ? n : n + 1), 0);
  } else {
    part.text = lines.join(entrySeparator);
    part.lines = lines.length;
  }
  if (digest) part.sum = digest.words();
  return part;
}

/**
 * One part of a batch built in two places: `here` built the items `local` marks, `there` the
 * others (a farm's changed files, on a thread), both with their lines `each`; the lines go back
 * in the items' order.
 */
export function mergeParts(local: boolean[], here: BuiltPart, there: BuiltPart): BuiltPart {
  const lines: string[] = [];
  let h = 0;
  let t = 0;
  for (const mine of local) {
    const line = mine ? here.each![h++]! : there.each![t++]!;
    if (line !== '') lines.push(line);
  }
  const digest = here.sum && there.sum ? new SetDigest() : undefined;
  digest?.addWords(here.sum!);
  digest?.addWords(there.sum!);
  const clash = here.clash ?? there.clash;
  return {
    text: lines.join(entrySeparator),
    lines: lines.length,
    ...(digest ? { sum: digest.words() } : {}),
    dirs: here.dirs + there.dirs,
    symlinks: here.symlinks + there.symlinks,
    files: here.files + there.files,
    bytes: here.bytes + there.bytes,
    linkedFiles: here.linkedFiles + there.linkedFiles,
    linkedBytes: here.linkedBytes + there.linkedBytes,
    hardLinks: here.hardLinks + there.hardLinks,
    asWalked: here.asWalked && there.asWalked,
    vanished: [...here.vanished, ...there.vanished],
    failed: [...here.failed, ...there.failed],
    ...(clash ? { clash } : {}),
  };
}

function fileTask(batch: BuildBatch, e: WalkEntry, prev: FileEntry | undefined): FileTask {
  return {
    op: 'backup',
    src: batch.single ? batch.source : under(batch.source, e.path),
    dst: under(batch.data, e.path),
    ...(batch.single ? { follow: true } : {}),
    ...(prev && batch.prevData !== undefined
      ? { prev: { ...prev, from: under(batch.prevData, e.path) } }
      : {}),
  };
}

/** A changed file of a link farm: the farm's link removed, the file copied in its place. */
function overFarm(batch: BuildBatch, e: WalkEntry): FileResult {
  const dst = under(batch.data, e.path);
  try {
    unlinkSync(fsPath(dst));
  } catch (err) {
    // Missing: the farm is not what its manifest says.
    return { error: { code: farmMissing, message: (err as Error).message } };
  }
  return runTask({ op: 'backup', src: under(batch.source, e.path), dst });
}

const farmMissing = 'EFARM';

/** The manifest's entry lines and totals, from the parts in the walk's order (fill.ts). */
export class Assembler {
  private readonly totals = {
    files: 0,
    dirs: 0,
    symlinks: 0,
    bytes: 0,
    linkedFiles: 0,
    linkedBytes: 0,
  };
  private readonly vanished: string[] = [];
  private readonly failed: string[] = [];
  private hardLinks = 0;
  private asWalked = true;

  /** `digest`: the set digest of what is kept (set-digest.ts), for create.ts to compare. */
  constructor(
    private readonly source: string,
    private readonly sink: EntrySink,
    private readonly digest?: SetDigest,
  ) {}

  add(part: BuiltPart): void {
    if (part.lines > 0) this.sink.push(part.text);
    if (part.sum) this.digest?.addWords(part.sum);
    for (const k of Object.keys(this.totals) as Array<keyof typeof this.totals>) this.totals[k] += part[k];
    this.hardLinks += part.hardLinks;
    this.asWalked &&= part.asWalked;
    this.vanished.push(...part.vanished);
    this.failed.push(...part.failed);
  }

  finish(): Filled {
    const { failed } = this;
    if (failed.length > 0)
      throw new FailedError(
        `cannot back up ${this.source}: ${failed.length} file(s) could not be copied:\n  ${failed.slice(0, 10).join('\n  ')}` +
          (failed.length > 10 ? `\n  and ${failed.length - 10} more` : ''),
      );
    this.sink.finish();
    return {
      entriesFile: this.sink.path,
      vanished: this.vanished,
      hardLinks: this.hardLinks,
      asWalked: this.asWalked,
      ...(this.digest ? { digest: this.digest.hex() } : {}),
      totals: { ...this.totals },
    };
  }
}

/**
 * A file's manifest line: exactly JSON.stringify of `{ path, type: 'file', ...attrs(st), ctimeMs,
 * ino, size, sha256 }` (a number in a template is written as JSON writes it).
 */
export function fileLine(key: string, st: FileStat, size: number, sha256: string): string {
  return `{"path":${key},"type":"file","mode":${st.mode & 0o7777},"mtimeMs":${st.mtimeMs},"uid":${st.uid},"gid":${st.gid},"ctimeMs":${st.ctimeMs},"ino":${st.ino},"size":${size},"sha256":"${sha256}"}`;
}

/**
 * Whether a file was, when linked or copied, what the walk saw (listing.ts keeps a listing
 * only if all were): same size, mtime, mode and owner, and as many links or not.
 */
export function sameAsWalked(e: WalkEntry, r: FileResult): boolean {
  const a = e.st;
  const b = r.st;
  return (
    a !== undefined &&
    b !== undefined &&
    !r.error &&
    (r.linked || r.size === a.size) &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.nlink > 1 === b.nlink > 1
  );
}

/** The attributes a manifest keeps, from a Stats or a FileStat (mode already masked or not). */
export function attrs(st: { mode: number; mtimeMs: number; uid: number; gid: number }) {
  return { mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, uid: st.uid, gid: st.gid };
}
