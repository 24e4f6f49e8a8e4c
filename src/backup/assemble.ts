import { FailedError } from '../core/errors.js';
import type { EntrySink } from './entry-sink.js';
import type { FileResult, FileStat } from './file-ops.js';
import { entryLine } from './incremental.js';
import type { Manifest } from './manifest.js';
import type { Previous } from './previous.js';
import type { SourceScan } from './source.js';
import type { WalkEntry } from './walk.js';

/**
 * The manifest entry lines and totals of a backup built file by file (fill.ts), from the walk
 * and the per-file results. Each batch of results is turned into lines as it comes in (`add`),
 * while the worker threads copy the next ones, so little is left once the last arrives
 * (`finish`). Lines are written by template (entryLine, fileLine), as JSON.stringify would
 * write the entries, without making 20,000 objects to stringify.
 */
export interface Filled {
  /** The entries part of the manifest, written by the sink (entry-sink.ts). */
  entriesFile: string;
  totals: Manifest['totals'];
  vanished: string[];
  hardLinks: number;
  /** Every file as the walk saw it when it was read: the entries are what the walk says. */
  asWalked: boolean;
}

export class Assembler {
  /**
   * Lines of the files, by index in `files`, until written: the lines go to the sink in walk
   * order as soon as every file before them is in, so only the batches in flight are held.
   */
  private readonly fileLines: Array<string | undefined>;
  /** 1: the file's result is in (its line in fileLines, or none when it was left out). */
  private readonly arrived: Uint8Array;
  /** The next entry of the walk to write, and its index among the files. */
  private nextEntry = 0;
  private nextFile = 0;
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

  constructor(
    private readonly scan: SourceScan,
    private readonly files: WalkEntry[],
    private readonly previous: Previous | undefined,
    private readonly sink: EntrySink,
  ) {
    this.fileLines = new Array(files.length);
    this.arrived = new Uint8Array(files.length);
  }

  /** `results[k]` is the outcome for `files[from + k]`; a linked file takes its hash from `previous`. */
  add(from: number, results: FileResult[]): void {
    for (let k = 0; k < results.length; k++) {
      const r = results[k]!;
      const e = this.files[from + k]!;
      this.arrived[from + k] = 1;
      this.asWalked &&= sameAsWalked(e, r);
      if (r.error) {
        if (r.error.code === 'ENOENT') this.vanished.push(e.path);
        else this.failed.push(`${e.path}: ${r.error.message}`);
        continue;
      }
      const st = r.st!;
      const sha256 = r.linked ? this.previous!.files.get(e.path)!.sha256 : r.sha256!;
      // What was read is what is kept: a file that grew mid-copy is recorded at the size copied.
      const size = r.linked ? st.size : r.size!;
      if (r.linked) {
        this.linkedFiles++;
        this.linkedBytes += size;
      }
      if (st.nlink > 1) this.hardLinks++;
      this.bytes += size;
      this.stored++;
      this.fileLines[from + k] = fileLine(JSON.stringify(e.path), st, size, sha256);
    }
    this.drain();
  }

  /** Writes the lines of the walk's entries in order, up to the first file not in yet. */
  private drain(): void {
    const entries = this.scan.entries;
    for (; this.nextEntry < entries.length; this.nextEntry++) {
      const e = entries[this.nextEntry]!;
      if (e.type === 'file') {
        const f = this.nextFile;
        if (!this.arrived[f]) return;
        const line = this.fileLines[f];
        if (line !== undefined) this.sink.push(line);
        this.fileLines[f] = undefined;
        this.nextFile++;
      } else {
        if (e.type === 'dir') this.dirs++;
        else this.symlinks++;
        this.sink.push(entryLine(JSON.stringify(e.path), e));
      }
    }
  }

  finish(): Filled {
    const { failed, scan } = this;
    if (failed.length > 0)
      throw new FailedError(
        `cannot back up ${scan.source}: ${failed.length} file(s) could not be copied:\n  ${failed.slice(0, 10).join('\n  ')}` +
          (failed.length > 10 ? `\n  and ${failed.length - 10} more` : ''),
      );
    this.drain();
    this.sink.finish();
    const { dirs, symlinks } = this;
    return {
      entriesFile: this.sink.path,
      vanished: this.vanished,
      hardLinks: this.hardLinks,
      asWalked: this.asWalked,
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
