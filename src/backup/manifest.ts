import { z } from 'zod';

/**
 * `backups/<id>/manifest.json`: what a backup holds, entry by entry, so it can be verified and
 * restored exactly. The TypeScript types are inferred from these schemas; the JSON Schema
 * shipped as `manifest.schema.json` is generated from them too.
 *
 * On disk the header comes first, pretty-printed, and `entries` last with one entry per line:
 * readable, greppable, and `list` can read the header without parsing every entry.
 */

/** Relative, `/`-separated, no empty, `.` or `..` segment: nothing a restore could escape with. */
export function isSafeRelPath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

const relPath = z.string().refine(isSafeRelPath, {
  error: (iss) =>
    `${JSON.stringify(iss.input)} is refused: a manifest path must be relative, with no "..", "." or empty segment`,
});
const mode = z.number().int().min(0).max(0o7777);
const owner = { uid: z.number().int().min(0).optional(), gid: z.number().int().min(0).optional() };
const common = { path: relPath, mode, mtimeMs: z.number(), ...owner };

export const fileEntrySchema = z.strictObject({
  ...common,
  type: z.literal('file'),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
});
export const dirEntrySchema = z.strictObject({
  ...common,
  type: z.literal('dir'),
  size: z.number().optional(),
});
export const symlinkEntrySchema = z.strictObject({
  ...common,
  type: z.literal('symlink'),
  size: z.number().optional(),
  /** Kept verbatim: relative, absolute or dangling. */
  target: z.string().min(1),
});
export const entrySchema = z.discriminatedUnion('type', [
  fileEntrySchema,
  dirEntrySchema,
  symlinkEntrySchema,
]);

export const manifestHeaderSchema = z.strictObject({
  version: z.literal(1),
  id: z.string(),
  system: z.string(),
  /** The path backed up, as the plan resolved it. */
  source: z.string(),
  sourceType: z.enum(['dir', 'file']),
  phase: z.number().nullable(),
  runId: z.string().nullable(),
  toolVersion: z.string(),
  createdAt: z.string(),
  excludes: z.array(z.string()),
  /** Attributes of the system folder itself (dir systems), restored onto the target. */
  root: z.strictObject({ mode, mtimeMs: z.number(), ...owner }).optional(),
  /** The backup unchanged files were hard-linked from (incremental), if any. */
  previous: z.string().nullable(),
  /** Things seen but not kept: sockets, FIFOs, devices, files gone mid-backup, the backups folder. */
  skipped: z.array(z.strictObject({ path: z.string(), reason: z.string() })),
  /** Files with more than one link inside the source: backed up (and restored) as separate copies. */
  hardLinks: z.number().int().min(0),
  totals: z.strictObject({
    files: z.number().int().min(0),
    dirs: z.number().int().min(0),
    symlinks: z.number().int().min(0),
    bytes: z.number().int().min(0),
    linkedFiles: z.number().int().min(0),
    linkedBytes: z.number().int().min(0),
  }),
});

export const manifestSchema = manifestHeaderSchema.extend({ entries: z.array(entrySchema) });

export type ManifestEntry = z.infer<typeof entrySchema>;
export type FileEntry = z.infer<typeof fileEntrySchema>;
export type ManifestHeader = z.infer<typeof manifestHeaderSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

export function manifestJsonSchema(): unknown {
  return z.toJSONSchema(manifestSchema, { target: 'draft-2020-12', io: 'input' });
}

const entriesKey = ',\n  "entries": [';

export function serializeManifest(m: Manifest): string {
  const { entries, ...header } = m;
  const head = JSON.stringify(header, null, 2).replace(/\n}$/, '');
  if (entries.length === 0) return `${head}${entriesKey}]\n}\n`;
  return `${head}${entriesKey}\n${entries.map((e) => `    ${JSON.stringify(e)}`).join(',\n')}\n  ]\n}\n`;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * Full parse: JSON, schema, then the cross-entry rules a safe restore depends on. The header
 * goes through zod; the entries through `entryProblem`, a hand-written check of the same rules
 * that is ~10× faster than zod on 20,000 entries (1 s → 0.1 s measured), with zod asked for
 * the message of any entry it rejects. A test keeps the two in agreement.
 */
export function parseManifest(text: string): ParseResult<Manifest> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`not JSON: ${(err as Error).message}`] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, problems: ['(top): expected an object'] };
  const { entries, ...rest } = data as Record<string, unknown>;
  const header = manifestHeaderSchema.safeParse(rest);
  const problems = header.success ? [] : header.error.issues.slice(0, 20).map((i) => formatIssue(i));
  if (!Array.isArray(entries)) problems.push('entries: expected an array');
  else {
    for (let i = 0; i < entries.length && problems.length < 20; i++) {
      if (entryProblem(entries[i]) === undefined) continue;
      const parsed = entrySchema.safeParse(entries[i]);
      if (parsed.success) continue;
      problems.push(...parsed.error.issues.slice(0, 3).map((issue) => formatIssue(issue, `entries[${i}]`)));
    }
  }
  if (problems.length > 0 || !header.success) return { ok: false, problems };
  const manifest = { ...header.data, entries: entries as ManifestEntry[] };
  const consistency = consistencyProblems(manifest);
  return consistency.length ? { ok: false, problems: consistency } : { ok: true, value: manifest };
}

const entryKeys = {
  file: new Set(['path', 'type', 'mode', 'mtimeMs', 'uid', 'gid', 'size', 'sha256']),
  dir: new Set(['path', 'type', 'mode', 'mtimeMs', 'uid', 'gid', 'size']),
  symlink: new Set(['path', 'type', 'mode', 'mtimeMs', 'uid', 'gid', 'size', 'target']),
};
const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const sha256Hex = /^[0-9a-f]{64}$/;

/** The rules of `entrySchema`, by hand: undefined when the entry is valid. */
export function entryProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const e = v as Record<string, unknown>;
  const type = e.type;
  if (type !== 'file' && type !== 'dir' && type !== 'symlink') return 'type';
  for (const k in e) if (!entryKeys[type].has(k)) return `unknown key ${k}`;
  if (typeof e.path !== 'string' || !isSafeRelPath(e.path)) return 'path';
  if (!isInt(e.mode, 0, 0o7777)) return 'mode';
  if (typeof e.mtimeMs !== 'number' || !Number.isFinite(e.mtimeMs)) return 'mtimeMs';
  if (e.uid !== undefined && !isInt(e.uid, 0)) return 'uid';
  if (e.gid !== undefined && !isInt(e.gid, 0)) return 'gid';
  if (type === 'file') {
    if (!isInt(e.size, 0)) return 'size';
    if (typeof e.sha256 !== 'string' || !sha256Hex.test(e.sha256)) return 'sha256';
  } else if (e.size !== undefined && (typeof e.size !== 'number' || !Number.isFinite(e.size))) return 'size';
  if (type === 'symlink' && (typeof e.target !== 'string' || e.target === '')) return 'target';
  return undefined;
}

/**
 * The header alone, cut before `entries` when the file has our layout (a hand-reformatted file
 * falls back to a full parse). Used by `list` and `status`, which need no entries.
 */
export function parseManifestHeader(text: string): ParseResult<ManifestHeader> {
  const cut = text.indexOf(entriesKey);
  if (cut > 0) {
    try {
      const parsed = manifestHeaderSchema.safeParse(JSON.parse(`${text.slice(0, cut)}\n}`));
      if (parsed.success) return { ok: true, value: parsed.data };
    } catch {
      // not our layout: fall through
    }
  }
  const full = parseManifest(text);
  if (!full.ok) return full;
  const { entries: _entries, ...header } = full.value;
  return { ok: true, value: header };
}

/**
 * Rules the schema cannot say: paths unique, every entry's parent a folder entry (so no path
 * runs through a symlink, which could make a copy escape the tree), a file system holds one
 * top-level file, and the totals match.
 */
function consistencyProblems(m: Manifest): string[] {
  const problems: string[] = [];
  const types = new Map<string, ManifestEntry['type']>();
  let files = 0;
  let bytes = 0;
  for (const e of m.entries) {
    if (types.has(e.path)) problems.push(`${e.path}: listed twice`);
    types.set(e.path, e.type);
    const slash = e.path.lastIndexOf('/');
    if (slash > 0) {
      const parent = e.path.slice(0, slash);
      const parentType = types.get(parent);
      if (parentType !== 'dir')
        problems.push(
          parentType
            ? `${e.path}: its parent ${parent} is a ${parentType}, not a folder`
            : `${e.path}: its parent folder ${parent} is not listed before it`,
        );
    }
    if (e.type === 'file') {
      files++;
      bytes += e.size;
    }
  }
  if (m.sourceType === 'file' && (m.entries.length !== 1 || m.entries[0]?.type !== 'file' || slashIn(m)))
    problems.push('a single-file backup must hold exactly one top-level file');
  if (files !== m.totals.files || bytes !== m.totals.bytes)
    problems.push(
      `totals say ${m.totals.files} files, ${m.totals.bytes} bytes; the entries hold ${files} files, ${bytes} bytes`,
    );
  return problems.slice(0, 20);
}

function slashIn(m: Manifest): boolean {
  return m.entries.some((e) => e.path.includes('/'));
}

function formatIssue(issue: z.core.$ZodIssue, prefix = ''): string {
  const where = prefix + issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
  return `${where.replace(/^\./, '') || '(top)'}: ${issue.message}`;
}
