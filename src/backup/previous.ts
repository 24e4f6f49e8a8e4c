import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from '../core/workspace.js';
import { NotPatchable } from './incremental.js';
import { backupDir, backupsDirNames, compareIds, manifestFile, parseBackupId } from './layout.js';
import { entriesKey, type ManifestHead, readManifestHead } from './manifest-format.js';
import { type ManifestReader, openManifest } from './manifest-stream.js';
import { compareEntries } from './order.js';

/**
 * The backup an incremental one links against: the newest complete backup of the same system,
 * taken from the same path as the same kind (a snapshot of `restore --to` elsewhere, or a plan
 * whose path changed, does not count). Its manifest says size, mtime, mode and owner of every
 * file; a source file equal on all of them is linked, not copied (rsync's quick check).
 *
 * Only the newest few manifests of the system are read, not the whole folder (`listBackups`
 * hashes every manifest, which costs more than the linking saves), and first only their
 * headers: the link farm (link-farm.ts) starts from the id alone while the entries are parsed.
 * A file-by-file build reads the previous manifest beside its walk, in the same order
 * (fill.ts), and takes from it only entries at the walk's own paths, which are safe by
 * construction.
 */
export interface PreviousRef {
  id: string;
  dir: string;
  /** Entries its manifest's totals count (files, folders, symlinks). */
  entries: number;
}

/** Its manifest read beside the walk (manifest-stream.ts), and its data/ to link from. */
export interface Previous {
  ref: PreviousRef;
  reader: ManifestReader;
  data: string;
}

/** The previous backup with its manifest opened, or undefined (none, or not readable). */
export async function openPrevious(
  ws: Workspace,
  ref: PreviousRef | undefined,
): Promise<Previous | undefined> {
  if (!ref) return undefined;
  const opened = await openManifest(manifestFile(ws, ref.id), ref.id);
  return opened.ok ? { ref, reader: opened.reader, data: previousData(ref) } : undefined;
}

/** From the manifests' headers only (their first 64 KiB). */
export async function findPreviousRef(
  ws: Workspace,
  system: string,
  source: string,
  sourceType: 'dir' | 'file',
): Promise<PreviousRef | undefined> {
  for (const ref of await candidates(ws, system)) {
    const h = readHeader(manifestFile(ws, ref.id));
    if (h && picks(h, ref, source, sourceType)) {
      const t = h.totals;
      const entries = t ? Number(t.files) + Number(t.dirs) + Number(t.symlinks) : Number.NaN;
      return { ...ref, entries: Number.isFinite(entries) ? entries : Number.POSITIVE_INFINITY };
    }
  }
  return undefined;
}

type Picking = {
  id: unknown;
  source: unknown;
  sourceType: unknown;
  totals?: { files?: unknown; dirs?: unknown; symlinks?: unknown };
};

const picks = (h: Picking, ref: { id: string }, source: string, sourceType: 'dir' | 'file') =>
  h.id === ref.id && h.source === source && h.sourceType === sourceType;

async function candidates(ws: Workspace, system: string): Promise<Array<{ id: string; dir: string }>> {
  // Unreadable is as good as empty here: the backup is then made in full.
  const names = await backupsDirNames(ws).catch(() => []);
  return names
    .filter((n) => parseBackupId(n)?.system === system)
    .sort(compareIds)
    .reverse()
    .slice(0, 5)
    .map((id) => ({ id, dir: backupDir(ws, id) }));
}

/**
 * The previous manifest as the lines serializeManifest wrote, one per entry, for the link farm
 * (incremental.ts): an unchanged entry is found by its path and compared as text, and its line
 * goes into the new manifest as it is — no parse of 20,000 objects, no stringify of them again.
 */
export interface PreviousLines extends Omit<PreviousRef, 'entries'> {
  /** Attributes of its data/ folder itself. */
  root?: { mode: number; mtimeMs: number; uid?: number; gid?: number };
  /** Each entry's JSON, as written: no indent, no comma. */
  lines: string[];
  /** The JSON-quoted path of each line → its index. */
  byKey: Map<string, number>;
}

const linePrefix = '    {"path":';
const typeKey = ',"type":"';

/** The previous manifest's bytes, for the link farm's patch. */
export interface PreviousBytes extends Omit<PreviousRef, 'entries'> {
  bytes: Buffer;
}

export function readPreviousBytes(ws: Workspace, ref: PreviousRef): PreviousBytes | undefined {
  try {
    const bytes = readFileSync(manifestFile(ws, ref.id));
    return { id: ref.id, dir: ref.dir, bytes };
  } catch {
    return undefined;
  }
}

/** Undefined when the file is not in our layout (edited by hand?) or lists a path twice. */
export function previousLines(prev: PreviousBytes): PreviousLines | undefined {
  const text = prev.bytes.toString('utf8');
  const ref = { id: prev.id, dir: prev.dir };
  const cut = text.indexOf(entriesKey);
  const close = '\n  ]\n}\n';
  if (cut < 0 || !text.endsWith(close)) return undefined;
  const header = headerOf(text.slice(0, cut), ref.id);
  if (!header) return undefined;
  const lines: string[] = [];
  const byKey = new Map<string, number>();
  const end = text.length - close.length;
  let pos = cut + entriesKey.length + 1;
  while (pos < end) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0 || nl > end) nl = end;
    const last = nl === end;
    if (!text.startsWith(linePrefix, pos) || text.charCodeAt(nl - 1) !== (last ? 0x7d : 0x2c))
      return undefined;
    const line = text.slice(pos + 4, last ? nl : nl - 1);
    const key = keyOf(line);
    if (key === undefined || byKey.has(key)) return undefined;
    byKey.set(key, lines.length);
    lines.push(line);
    pos = nl + 1;
  }
  return { ...ref, lines, byKey, ...header };
}

/**
 * A manifest's header cut at `entries` (closed here), if it names backup `id`: its root's
 * attributes, when they are valid.
 */
function headerOf(head: string, id: string): Pick<PreviousLines, 'root'> | undefined {
  let header: { id?: unknown; root?: PreviousLines['root'] };
  try {
    header = JSON.parse(`${head}\n}`);
  } catch {
    return undefined;
  }
  if (header?.id !== id) return undefined;
  const root = header.root;
  return typeof root?.mode === 'number' && typeof root.mtimeMs === 'number' ? { root } : {};
}

/** The JSON-quoted path an entry line starts with (`{"path":KEY,"type":"…`). */
function keyOf(line: string): string | undefined {
  const keyEnd = line.indexOf(typeKey, 8);
  return keyEnd < 0 ? undefined : line.slice(8, keyEnd);
}

/** A line of the previous manifest as a link farm's patch reads it (fill.ts): parsed only where it is acted on. */
export interface PrevLine {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  /** The entry's JSON, as written: no indent, no comma. */
  line: string;
}

/** The previous manifest's entry lines, a batch at a time, and its root's attributes. */
export interface PreviousLineStream {
  root?: PreviousLines['root'];
  batches: AsyncGenerator<PrevLine[]>;
}

const lineTypes = { f: 'file', d: 'dir', s: 'symlink' } as const;

/**
 * previousLines a MiB at a time, for a manifest too large to read whole: the same layout
 * checks, and the paths in the walk's order, each once (what the join beside the walk needs);
 * NotPatchable where they fail. The path is read from the line's JSON key, unescaped by
 * JSON.parse only when it holds an escape. The file's hash is not checked here: what the farm
 * holds is checked folder by folder (patch.ts), and what is acted on is parsed (parseLine).
 */
export function streamPreviousLines(prev: PreviousRef): PreviousLineStream | undefined {
  const file = join(prev.dir, 'manifest.json');
  let head: ManifestHead;
  try {
    const fd = openSync(file, 'r');
    try {
      head = readManifestHead(fd, { limit: 64 << 20 });
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const { cut } = head;
  const header = cut < 0 ? undefined : headerOf(head.bytes.toString('utf8', 0, cut), prev.id);
  if (!header) return undefined;
  // The file is opened again once the lines are asked for: closed if they never are.
  return { ...header, batches: lineBatches(file, cut + entriesKey.length) };
}

async function* lineBatches(file: string, from: number): AsyncGenerator<PrevLine[]> {
  const odd = (what: string) =>
    new NotPatchable(`the previous manifest is not as this version writes it (${what})`);
  const fd = openSync(file, 'r');
  try {
    let rest = Buffer.alloc(0);
    let at = from;
    const buf = Buffer.allocUnsafe(1 << 20);
    let last: string | undefined;
    let ended = false;
    // `"entries": [` ends its line, or is `[]` with no entries (manifestBody).
    const empty = `]\n}\n`;
    const opening = Buffer.alloc(empty.length);
    const got = readSync(fd, opening, 0, opening.length, at);
    if (opening.toString('utf8', 0, got) === empty && readSync(fd, buf, 0, 1, at + got) === 0) return;
    if (opening[0] !== 0x0a) throw odd('the entries do not start a line');
    at += 1;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, at);
      at += n;
      const bytes = rest.length ? Buffer.concat([rest, buf.subarray(0, n)]) : buf.subarray(0, n);
      const batch: PrevLine[] = [];
      let start = 0;
      for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
        const text = bytes.toString('utf8', start, nl);
        start = nl + 1;
        if (ended) {
          if (text !== '  ]' && text !== '}') throw odd('text after the entries');
          continue;
        }
        if (text === '  ]') {
          ended = true;
          continue;
        }
        if (!text.startsWith(linePrefix)) throw odd('a line of another shape');
        const comma = text.endsWith(',');
        const line = text.slice(4, comma ? -1 : undefined);
        if (!comma) ended = true;
        const key = keyOf(line);
        const type =
          key === undefined ? undefined : lineTypes[line[8 + key.length + typeKey.length] as 'f' | 'd' | 's'];
        if (key === undefined || !type) throw odd('an entry without its type');
        if (key.length < 2 || !key.startsWith('"') || !key.endsWith('"'))
          throw odd('a path that is not a string');
        let path: unknown;
        try {
          path = key.includes('\\') ? JSON.parse(key) : key.slice(1, -1);
        } catch {
          throw odd('a path that is not JSON');
        }
        if (typeof path !== 'string') throw odd('a path that is not a string');
        if (last !== undefined && compareEntries(last, path) >= 0) throw odd(`${path} out of order`);
        last = path;
        batch.push({ path, type, line });
      }
      if (batch.length > 0) yield batch;
      rest = Buffer.from(bytes.subarray(start));
      if (n === 0) {
        if (!ended || rest.length > 0) throw odd('the file is cut short');
        return;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const headBytes = 64 * 1024;

/** The header fields that pick a previous backup, read from the start of the file. */
function readHeader(path: string): Picking | undefined {
  let head: ManifestHead;
  try {
    const fd = openSync(path, 'r');
    try {
      head = readManifestHead(fd, { limit: headBytes });
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  // A header cut at `entries` parses alone; anything else (a huge skipped list, a file
  // reformatted by hand) is read whole.
  if (head.cut > 0) {
    try {
      return JSON.parse(`${head.bytes.toString('utf8', 0, head.cut)}\n}`);
    } catch {
      // fall through
    }
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

export const previousData = (prev: { dir: string }) => join(prev.dir, 'data');
