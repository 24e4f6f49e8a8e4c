import { readSync } from 'node:fs';
import type { Manifest, ManifestEntry, ManifestHeader } from './manifest.js';

/**
 * manifest.json on disk: the header first, pretty-printed, and `entries` last with one entry
 * per line — readable, greppable, and `list` can read the header without the entries.
 *
 * Reading checks the rules of the zod schemas in manifest.ts by hand: zod costs ~1 s on 20,000
 * entries where this costs ~0.05 s, and its import alone ~40–180 ms. zod is asked (loaded then)
 * only to word what is wrong with a manifest this refused. A test keeps the two equal.
 */

export const entriesKey = ',\n  "entries": [';

/** A manifest's start as read (readManifestHead): the bytes, and where `entriesKey` is in them. */
export interface ManifestHead {
  /** Every byte read: the header, the key, and what came after it in the last read. */
  bytes: Buffer;
  /** Where `entriesKey` starts in `bytes`; -1 if not within the limit or the file. */
  cut: number;
  /** The file ended within `bytes`. */
  eof: boolean;
}

/**
 * The one reader of a manifest's header: reads an open file from its position, `chunk` bytes
 * at a time, until `entriesKey` has been read, the file ends, or `limit` bytes are read; each
 * read also goes to `onRead` (a hash of the whole file). A header is small, but a long list of
 * skipped paths can make it megabytes.
 */
export function readManifestHead(
  fd: number,
  options: { limit: number; chunk?: number; onRead?: (bytes: Buffer) => void },
): ManifestHead {
  const buf = Buffer.allocUnsafe(Math.min(options.chunk ?? 1 << 20, options.limit));
  let bytes = Buffer.alloc(0);
  let cut = -1;
  let eof = false;
  while (cut < 0 && !eof && bytes.length < options.limit) {
    const n = readSync(fd, buf, 0, buf.length, null);
    eof = n === 0;
    options.onRead?.(buf.subarray(0, n));
    bytes = Buffer.concat([bytes, buf.subarray(0, n)]);
    // The key may straddle two reads: searched again from just before the new bytes.
    cut = bytes.indexOf(entriesKey, Math.max(0, bytes.length - n - entriesKey.length));
  }
  return { bytes, cut, eof };
}
/** Between two entry lines. */
export const entrySeparator = ',\n    ';

export function serializeManifest(m: Manifest): string {
  const { entries, ...header } = m;
  return serializeManifestLines(
    header,
    entries.map((e) => JSON.stringify(e)),
  );
}

/**
 * The same file from the header and each entry's JSON: an incremental backup passes the
 * previous manifest's line of each entry that did not change (incremental.ts) rather than
 * building and stringifying 20,000 objects again.
 */
export function serializeManifestLines(header: ManifestHeader, lines: string[]): string {
  return manifestHead(header) + manifestBody(lines);
}

/** The header part: everything before `,\n  "entries": [`. */
export function manifestHead(header: ManifestHeader): string {
  return JSON.stringify(header, null, 2).replace(/\n}$/, '');
}

/** The entries part, from `,\n  "entries": [` to the end of the file. */
export function manifestBody(lines: string[]): string {
  if (lines.length === 0) return `${entriesKey}]\n}\n`;
  return `${entriesKey}\n    ${lines.join(entrySeparator)}\n  ]\n}\n`;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Full parse: JSON, the schema's rules, then the cross-entry rules a safe restore depends on. */
export async function parseManifest(text: string): Promise<ParseResult<Manifest>> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`not JSON: ${(err as Error).message}`] };
  }
  if (!isObject(data)) return { ok: false, problems: ['(top): expected an object'] };
  const { entries, ...header } = data;
  const valid =
    headerProblem(header) === undefined &&
    Array.isArray(entries) &&
    entries.every((e) => entryProblem(e) === undefined);
  if (!valid) return { ok: false, problems: await explain(data) };
  const manifest = data as Manifest;
  const consistency = consistencyProblems(manifest);
  return consistency.length ? { ok: false, problems: consistency } : { ok: true, value: manifest };
}

/**
 * The header alone, cut before `entries` when the file has our layout (a hand-reformatted file
 * falls back to a full parse). For `list` and `status`, which need no entries.
 */
export async function parseManifestHeader(
  text: string,
  partial = false,
): Promise<ParseResult<ManifestHeader>> {
  const cut = text.indexOf(entriesKey);
  if (cut > 0) {
    try {
      const header: unknown = JSON.parse(`${text.slice(0, cut)}\n}`);
      if (isObject(header) && headerProblem(header) === undefined)
        return { ok: true, value: header as ManifestHeader };
    } catch {
      // not our layout: fall through
    }
  }
  // `partial`: only the start of the file, where the header was not found whole.
  if (partial) return { ok: false, problems: ['the header is not at the start of the file'] };
  const full = await parseManifest(text);
  if (!full.ok) return full;
  const { entries: _entries, ...header } = full.value;
  return { ok: true, value: header };
}

async function explain(data: Record<string, unknown>): Promise<string[]> {
  const { schemaProblems } = await import('./manifest.js');
  const problems = schemaProblems(data);
  return problems.length ? problems : ['does not match the manifest schema'];
}

/** Relative, `/`-separated, no empty, `.` or `..` segment: nothing a restore could escape with. */
export function isSafeRelPath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown) => typeof v === 'string';
const onlyKeys = (o: Record<string, unknown>, keys: Set<string>) => Object.keys(o).every((k) => keys.has(k));
const sha256Hex = /^[0-9a-f]{64}$/;

const entryKeys = {
  file: new Set(['path', 'type', 'mode', 'mtimeMs', 'uid', 'gid', 'ctimeMs', 'ino', 'size', 'sha256']),
  dir: new Set(['path', 'type', 'mode', 'mtimeMs', 'uid', 'gid', 'size']),
  symlink: new Set(['path', 'type', 'mode', 'mtimeMs', 'uid', 'gid', 'size', 'target']),
};

/** The rules of `entrySchema`: undefined when the entry is valid, else what is wrong. */
export function entryProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'not an object';
  const type = v.type;
  if (type !== 'file' && type !== 'dir' && type !== 'symlink') return 'type';
  if (!onlyKeys(v, entryKeys[type])) return 'unknown key';
  if (!isStr(v.path) || !isSafeRelPath(v.path as string)) return 'path';
  const owner = ownerProblem(v);
  if (owner) return owner;
  if (type === 'file') {
    if (!isInt(v.size, 0)) return 'size';
    if (v.ctimeMs !== undefined && !isNum(v.ctimeMs)) return 'ctimeMs';
    if (v.ino !== undefined && !isInt(v.ino, 0)) return 'ino';
    if (!isStr(v.sha256) || !sha256Hex.test(v.sha256 as string)) return 'sha256';
  } else if (v.size !== undefined && !isNum(v.size)) return 'size';
  if (type === 'symlink' && (!isStr(v.target) || v.target === '')) return 'target';
  return undefined;
}

function ownerProblem(v: Record<string, unknown>): string | undefined {
  if (!isInt(v.mode, 0, 0o7777)) return 'mode';
  if (!isNum(v.mtimeMs)) return 'mtimeMs';
  if (v.uid !== undefined && !isInt(v.uid, 0)) return 'uid';
  if (v.gid !== undefined && !isInt(v.gid, 0)) return 'gid';
  return undefined;
}

const headerKeys = new Set([
  'version',
  'id',
  'system',
  'source',
  'sourceType',
  'phase',
  'runId',
  'toolVersion',
  'createdAt',
  'excludes',
  'root',
  'previous',
  'skipped',
  'hardLinks',
  'totals',
]);
const rootKeys = new Set(['mode', 'mtimeMs', 'uid', 'gid']);
const skippedKeys = new Set(['path', 'reason']);
const totalsKeys = ['files', 'dirs', 'symlinks', 'bytes', 'linkedFiles', 'linkedBytes'];

/** The rules of `manifestHeaderSchema`: undefined when the header is valid. */
export function headerProblem(h: Record<string, unknown>): string | undefined {
  if (!onlyKeys(h, headerKeys)) return 'unknown key';
  if (h.version !== 1 && h.version !== 2) return 'version';
  for (const k of ['id', 'system', 'source', 'toolVersion', 'createdAt']) if (!isStr(h[k])) return k;
  if (h.sourceType !== 'dir' && h.sourceType !== 'file') return 'sourceType';
  if (h.phase !== null && !isNum(h.phase)) return 'phase';
  if (h.runId !== null && !isStr(h.runId)) return 'runId';
  if (h.previous !== null && !isStr(h.previous)) return 'previous';
  if (!Array.isArray(h.excludes) || !h.excludes.every(isStr)) return 'excludes';
  if (h.root !== undefined && (!isObject(h.root) || !onlyKeys(h.root, rootKeys) || ownerProblem(h.root)))
    return 'root';
  if (
    !Array.isArray(h.skipped) ||
    !h.skipped.every((s) => isObject(s) && onlyKeys(s, skippedKeys) && isStr(s.path) && isStr(s.reason))
  )
    return 'skipped';
  if (!isInt(h.hardLinks, 0)) return 'hardLinks';
  const t = h.totals;
  if (!isObject(t) || !onlyKeys(t, new Set(totalsKeys)) || !totalsKeys.every((k) => isInt(t[k], 0)))
    return 'totals';
  return undefined;
}

/**
 * Rules no schema can say, checked an entry at a time as a manifest is read (whole or as a
 * stream, manifest-stream.ts): entries in the walk's order (order.ts), so a path is never
 * listed twice; every entry's parent a folder entry listed before it (so no path runs through a
 * symlink, which could make a copy escape the tree); a file system holds one top-level file;
 * and the totals match.
 *
 * It follows the walk as the walk made the entries: each folder's entries come together, and
 * the next folder's must be the next folder the walk would enter. It holds what the walk holds
 * (the listings still to enter above the current folder), never all the entries.
 */
export class EntryChecker {
  private readonly problems: string[] = [];
  /** Entries still to be entered, the next on top, as the walk's own stack. */
  private readonly toEnter: Array<{ path: string; type: ManifestEntry['type'] }> = [];
  /** The current folder ('' is the root) and its entries so far. */
  private folder: string | undefined;
  private listing: Array<{ path: string; type: ManifestEntry['type'] }> = [];
  private lastName = '';
  private count = 0;
  private files = 0;
  private bytes = 0;
  private first: ManifestEntry | undefined;

  add(e: ManifestEntry): void {
    this.count++;
    this.first ??= e;
    const slash = e.path.lastIndexOf('/');
    const folder = slash < 0 ? '' : e.path.slice(0, slash);
    const name = e.path.slice(slash + 1);
    if (folder !== this.folder) this.enter(e.path, folder);
    else if (name === this.lastName) this.problem(`${e.path}: listed twice`);
    else if (name < this.lastName)
      this.problem(
        `${e.path}: listed after ${folder ? `${folder}/` : ''}${this.lastName}, out of the walk's order`,
      );
    this.lastName = name;
    this.listing.push({ path: e.path, type: e.type });
    if (e.type === 'file') {
      this.files++;
      this.bytes += e.size;
    }
  }

  /** The walk moves on to `folder`, which must be the next listed entry it can enter. */
  private enter(path: string, folder: string): void {
    const toEnter = this.toEnter;
    for (let i = this.listing.length - 1; i >= 0; i--) toEnter.push(this.listing[i]!);
    this.listing = [];
    const started = this.folder !== undefined;
    this.folder = folder;
    if (folder === '') {
      if (started) this.problem(`${path}: listed after the root's entries, out of the walk's order`);
      return;
    }
    // Entries passed over are files, symlinks and empty folders: nothing to enter.
    while (toEnter.length > 0 && toEnter[toEnter.length - 1]!.path !== folder) toEnter.pop();
    const listed = toEnter.pop();
    if (!listed) this.problem(`${path}: its parent folder ${folder} is not listed before it`);
    else if (listed.type !== 'dir')
      this.problem(`${path}: its parent ${folder} is a ${listed.type}, not a folder`);
  }

  /** Every problem found (the first 20), once the last entry is in. */
  finish(h: Pick<ManifestHeader, 'sourceType' | 'totals'>): string[] {
    const only = this.first;
    if (h.sourceType === 'file' && (this.count !== 1 || only?.type !== 'file' || only.path.includes('/')))
      this.problem('a single-file backup must hold exactly one top-level file');
    if (this.files !== h.totals.files || this.bytes !== h.totals.bytes)
      this.problem(
        `totals say ${h.totals.files} files, ${h.totals.bytes} bytes; the entries hold ${this.files} files, ${this.bytes} bytes`,
      );
    return this.problems;
  }

  private problem(text: string): void {
    if (this.problems.length < 20) this.problems.push(text);
  }
}

function consistencyProblems(m: Manifest): string[] {
  const checker = new EntryChecker();
  for (const e of m.entries) checker.add(e);
  return checker.finish(m);
}
