import { z } from 'zod';

import { isSafeRelPath } from './manifest-format.js';

/**
 * `backups/<id>/manifest.json`: what a backup holds, entry by entry, so it can be verified and
 * restored exactly. These zod schemas are the definition: the TypeScript types are inferred
 * from them, the shipped `manifest.schema.json` is generated from them, and they word the
 * errors. Reading and writing is in manifest-format.ts, whose fast checks a test keeps equal
 * to these schemas.
 */

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
  /** The source file's change time and inode number, for the next backup's quick check. */
  ctimeMs: z.number().optional(),
  ino: z.number().int().min(0).optional(),
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
  /**
   * 2 (written now): paths and symlink targets may hold U+DC80–U+DCFF, each standing for a byte
   * of a name that is not UTF-8 (backup/names.ts), and file entries keep the source's ctimeMs
   * and ino. 1: neither; still read (its files are copied again by the next backup).
   */
  version: z.union([z.literal(1), z.literal(2)]),
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

/**
 * zod's account of what is wrong with a manifest the fast check (manifest-format.ts) refused:
 * readable messages with the path in the document. Loaded only then, so a backup, a verify or
 * a restore of a good manifest never pays zod's import (~40 ms, 180 ms on a busy machine).
 */
export function schemaProblems(data: Record<string, unknown>): string[] {
  const { entries, ...rest } = data;
  const header = manifestHeaderSchema.safeParse(rest);
  const problems = header.success ? [] : header.error.issues.slice(0, 20).map((i) => formatIssue(i));
  if (!Array.isArray(entries)) problems.push('entries: expected an array');
  else
    for (let i = 0; i < entries.length && problems.length < 20; i++) {
      const parsed = entrySchema.safeParse(entries[i]);
      if (!parsed.success)
        problems.push(...parsed.error.issues.slice(0, 3).map((issue) => formatIssue(issue, `entries[${i}]`)));
    }
  return problems;
}

function formatIssue(issue: z.core.$ZodIssue, prefix = ''): string {
  const where = prefix + issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
  return `${where.replace(/^\./, '') || '(top)'}: ${issue.message}`;
}
