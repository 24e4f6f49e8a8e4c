import { FailedError } from '../core/errors.js';
import type { EntrySink } from './entry-sink.js';
import type { FileResult, FileStat } from './file-ops.js';
import { entryLine } from './incremental.js';
import type { FileEntry, Manifest } from './manifest.js';
import type { Streamed } from './pool.js';
import { entryRecord, type SetDigest } from './set-digest.js';
import type { WalkEntry } from './walk.js';

/**
 * The manifest entry lines and totals of a backup built file by file (fill.ts), from the walk's
 * entries and the per-file results, taken in the walk's order as they come back from the pool
 * (pool.ts TaskStream): each line goes to the sink at once, so nothing grows with the files.
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
}

export class Assembler {
  private dirs = 0;
  private symlinks = 0;
  private readonly vanished: string[] = [];
  private readonly failed: string[] = [];
  private linkedFiles = 0;
  private linkedBytes = 0;
  private bytes = 0;
  private stored = 0;
  private hardLinks = 0;
  private asWalked = true;

  /** `digest`: the set digest of what is kept (set-digest.ts), for create.ts to compare. */
  constructor(
    private readonly source: string,
    private readonly sink: EntrySink,
    private readonly digest?: SetDigest,
  ) {}

  /** Entries in the walk's order; a file with its result (a linked one takes its hash from `prev`). */
  add(items: Array<Streamed<Item>>): void {
    for (const { tag, result } of items) {
      const { e, prev } = tag;
      if (e.type !== 'file') {
        if (e.type === 'dir') this.dirs++;
        else this.symlinks++;
        this.sink.push(entryLine(JSON.stringify(e.path), e));
        this.digest?.add(entryRecord(e.type, e.path, e.st!, e.st!.size, e.target));
        continue;
      }
      const r = result!;
      this.asWalked &&= sameAsWalked(e, r);
      if (r.error) {
        if (r.error.code === 'ENOENT') this.vanished.push(e.path);
        else this.failed.push(`${e.path}: ${r.error.message}`);
        continue;
      }
      const st = r.st!;
      const sha256 = r.linked ? prev!.sha256 : r.sha256!;
      // What was read is what is kept: a file that grew mid-copy is recorded at the size copied.
      const size = r.linked ? st.size : r.size!;
      if (r.linked) {
        this.linkedFiles++;
        this.linkedBytes += size;
      }
      if (st.nlink > 1) this.hardLinks++;
      this.bytes += size;
      this.stored++;
      this.sink.push(fileLine(JSON.stringify(e.path), st, size, sha256));
      this.digest?.add(entryRecord('file', e.path, st, size));
    }
  }

  finish(): Filled {
    const { failed } = this;
    if (failed.length > 0)
      throw new FailedError(
        `cannot back up ${this.source}: ${failed.length} file(s) could not be copied:\n  ${failed.slice(0, 10).join('\n  ')}` +
          (failed.length > 10 ? `\n  and ${failed.length - 10} more` : ''),
      );
    this.sink.finish();
    const { dirs, symlinks } = this;
    return {
      entriesFile: this.sink.path,
      vanished: this.vanished,
      hardLinks: this.hardLinks,
      asWalked: this.asWalked,
      ...(this.digest ? { digest: this.digest.hex() } : {}),
      totals: {
        files: this.stored,
        dirs,
        symlinks,
        bytes: this.bytes,
        linkedFiles: this.linkedFiles,
        linkedBytes: this.linkedBytes,
      },
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
