import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import type { ManifestEntry, ManifestHeader } from './manifest.js';
import {
  EntryChecker,
  entriesKey,
  entryProblem,
  parseManifest,
  parseManifestHeader,
  readManifestHead,
} from './manifest-format.js';

/**
 * A manifest read a batch of entries at a time, never whole: verify and restore of a
 * million-file backup hold the entries of one batch and the folders above the last one
 * (EntryChecker), not a million entries. Every rule parseManifest checks is checked here as the
 * entries pass, by the same code; what is wrong is known once the last batch is taken.
 *
 * The entries are read in our layout, one per line (manifest-format.ts). A file reformatted by
 * hand is read whole and parsed as before: its size is then what it costs.
 */
export interface ManifestReader {
  header: ManifestHeader;
  /** The entries in order, once. Then `problems()` and `hash()` are final. */
  batches(): AsyncGenerator<ManifestEntry[]>;
  /** What is wrong with the entries (schema and consistency), the first 20. */
  problems(): string[];
  /** sha256 of the file's bytes. */
  hash(): string;
}

export type OpenedManifest = { ok: true; reader: ManifestReader } | { ok: false; problems: string[] };

const chunkBytes = 1 << 20;
const batchEntries = 512;
/** Further than this into the file, a header is not ours: the file is read whole. */
const headerLimit = 64 << 20;
const closing = /^\s*\]\s*$/;

/** The manifest of backup `id`: its header checked here, its entries as they are read. */
export async function openManifest(file: string, id: string): Promise<OpenedManifest> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    return { ok: false, problems: [`cannot read manifest.json (${(err as NodeJS.ErrnoException).code})`] };
  }
  let handedOver = false;
  try {
    const sha = createHash('sha256');
    const {
      bytes: head,
      cut,
      eof,
    } = readManifestHead(fd, {
      limit: headerLimit,
      chunk: chunkBytes,
      onRead: (b) => sha.update(b),
    });
    const parsed =
      cut > 0
        ? await parseManifestHeader(head.toString('utf8', 0, cut + entriesKey.length), true)
        : undefined;
    if (!parsed?.ok) return await wholeFile(file, id);
    const header = parsed.value;
    if (header.id !== id)
      return { ok: false, problems: [`manifest.json names backup ${header.id}, not ${id}`] };
    handedOver = true;
    return {
      ok: true,
      reader: new StreamedManifest(fd, sha, header, head.subarray(cut + entriesKey.length), eof),
    };
  } finally {
    if (!handedOver) closeSync(fd);
  }
}

class StreamedManifest implements ManifestReader {
  private readonly checker = new EntryChecker();
  private readonly lineProblems: string[] = [];
  private readonly refused: Array<{ index: number; e: unknown }> = [];
  private done = false;
  private digest = '';

  constructor(
    private readonly fd: number,
    private readonly sha: Hash,
    readonly header: ManifestHeader,
    private rest: Buffer,
    private eof: boolean,
  ) {}

  async *batches(): AsyncGenerator<ManifestEntry[]> {
    let work = Buffer.allocUnsafe(2 * chunkBytes);
    let index = 0;
    let line = 0;
    /** An entry line seen without its trailing comma: it must be the last. */
    let ended = false;
    let closed = false;
    let batch: ManifestEntry[] = [];
    try {
      for (;;) {
        let start = 0;
        for (let nl = this.rest.indexOf(0x0a); nl >= 0; nl = this.rest.indexOf(0x0a, start)) {
          const text = this.rest.toString('utf8', start, nl);
          start = nl + 1;
          line++;
          const trimmed = text.trim();
          if (trimmed === '' || trimmed === '}') continue;
          if (closing.test(trimmed) || trimmed === ']') {
            closed = true;
            continue;
          }
          // `"entries": [` then `]` on the same line: no entries.
          if (line === 1 && trimmed.startsWith(']')) {
            closed = true;
            continue;
          }
          if (closed || ended) {
            this.lineProblem(`line ${line} of the entries is after their end`);
            continue;
          }
          const comma = trimmed.endsWith(',');
          if (!comma) ended = true;
          const e = this.parseEntry(comma ? trimmed.slice(0, -1) : trimmed, index++);
          if (e) {
            this.checker.add(e);
            batch.push(e);
          }
          if (batch.length >= batchEntries) {
            yield batch;
            batch = [];
          }
        }
        this.rest = this.rest.subarray(start);
        if (this.eof) break;
        // The line cut short moves to the front of one working buffer, and the next MiB is
        // read after it: no MiB allocated a read (they outlived the young generation).
        const carry = this.rest.length;
        if (carry + chunkBytes > work.length) work = Buffer.allocUnsafe(carry + 2 * chunkBytes);
        this.rest.copy(work, 0);
        const n = readSync(this.fd, work, carry, chunkBytes, null);
        if (n === 0) this.eof = true;
        this.sha.update(work.subarray(carry, carry + n));
        this.rest = work.subarray(0, carry + n);
      }
      if (this.rest.toString('utf8').trim() !== '' && this.rest.toString('utf8').trim() !== '}')
        this.lineProblem('not JSON: the file does not end where its entries end');
      if (!closed) this.lineProblem('not JSON: the entries are not closed (the file is cut short?)');
      if (index > 0 && !ended) this.lineProblem('not JSON: a comma after the last entry');
      if (batch.length > 0) yield batch;
      await this.explainRefused();
      this.digest = this.sha.digest('hex');
      this.done = true;
    } finally {
      closeSync(this.fd);
    }
  }

  problems(): string[] {
    if (!this.done) throw new Error('manifest problems asked before its entries were all read');
    // As parseManifest: the consistency of entries that do not parse means nothing.
    return this.lineProblems.length > 0 ? this.lineProblems : this.checker.finish(this.header);
  }

  hash(): string {
    if (!this.done) throw new Error('manifest hash asked before its entries were all read');
    return this.digest;
  }

  private parseEntry(json: string, index: number): ManifestEntry | undefined {
    let e: unknown;
    try {
      e = JSON.parse(json);
    } catch (err) {
      this.lineProblem(`entries[${index}]: not JSON (${(err as Error).message})`);
      return undefined;
    }
    if (entryProblem(e) === undefined) return e as ManifestEntry;
    // Worded by the zod schema once the entries are read, as parseManifest words them.
    if (this.refused.length < 20) this.refused.push({ index, e });
    this.lineProblem('');
    return undefined;
  }

  private lineProblem(text: string): void {
    if (this.lineProblems.length < 20) this.lineProblems.push(text);
  }

  /** The refused entries' problems in the schema's words, in place of their blank lines. */
  private async explainRefused(): Promise<void> {
    if (this.refused.length === 0) return;
    const { schemaProblems } = await import('./manifest.js');
    const words = this.refused.map(({ index, e }) => {
      const said = schemaProblems({ entries: [e] }).filter((p) => p.startsWith('entries['));
      return (said.length ? said : ['entries[0]: does not match the manifest schema']).map((p) =>
        p.replace(/^entries\[0\]/, `entries[${index}]`),
      );
    });
    let k = 0;
    const out: string[] = [];
    for (const text of this.lineProblems) out.push(...(text === '' ? words[k++]! : [text]));
    this.lineProblems.splice(0, this.lineProblems.length, ...out.slice(0, 20));
  }
}

/** A manifest not in our layout: parsed whole, as it always was. */
async function wholeFile(file: string, id: string): Promise<OpenedManifest> {
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(file);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const parsed = await parseManifest(bytes.toString('utf8'));
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  if (parsed.value.id !== id)
    return { ok: false, problems: [`manifest.json names backup ${parsed.value.id}, not ${id}`] };
  const { entries, ...header } = parsed.value;
  return {
    ok: true,
    reader: {
      header,
      async *batches() {
        for (let i = 0; i < entries.length; i += batchEntries) yield entries.slice(i, i + batchEntries);
      },
      problems: () => [],
      hash: () => hash,
    },
  };
}
