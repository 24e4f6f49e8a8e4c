import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { readBoundedText } from '../core/read-file.js';
import { redactDeep } from '../core/redact.js';
import { toolVersion } from '../core/version.js';

/**
 * Saved run plans, Terraform-style (issue 12 §2): `phase <id> --dry-run --out FILE` and
 * `rollback --dry-run --out FILE` write the run plan with what it was made from;
 * `gnr-migrate apply FILE` makes the run plan again under the lock and executes it only if it
 * is the same — otherwise exit 2 with the differences, and nothing changed.
 */

export const savedPlanSchema = z.object({
  format: z.literal('gnr-migrate/run-plan'),
  version: z.literal(1),
  createdAt: z.string(),
  toolVersion: z.string(),
  /** The workspace root the plan was made in; `apply` refuses another. */
  workspace: z.string(),
  command: z.enum(['phase', 'rollback']),
  /** What to give the command again: the phase (or `--to`) and its flags. */
  phase: z.number().nullable(),
  options: z.object({
    allowDeferred: z.boolean().default(false),
    force: z.boolean().default(false),
    resume: z.boolean().default(false),
    autoRollback: z.boolean().default(true),
    acks: z.array(z.string()).default([]),
    snapshot: z.boolean().default(true),
    reason: z.string().optional(),
    to: z.number().nullable().optional(),
  }),
  /** The plan file, `--env` and the `--var` overrides (secrets as `***`: give them again). */
  planFile: z.string(),
  planHash: z.string(),
  environment: z.string().optional(),
  overrides: z.record(z.string(), z.string()).default({}),
  /** Secret vars, as `salt:sha256`: `apply` tells a different value without one in clear here. */
  secretHashes: z.record(z.string(), z.string()).default({}),
  /** sha256 of `runPlan` as canonical JSON. */
  sha256: z.string(),
  /** The run plan itself (phase: PhaseRunPlan; rollback: RollbackRunPlan). */
  runPlan: z.record(z.string(), z.unknown()),
});
export type SavedPlan = z.infer<typeof savedPlanSchema>;

export function savedPlanJsonSchema(): unknown {
  return z.toJSONSchema(savedPlanSchema, { target: 'draft-2020-12', io: 'input' });
}

/** JSON with object keys sorted, so equal plans hash equal. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    return v;
  };
  return JSON.stringify(sort(value));
}

/**
 * A run plan as it is saved and compared: secrets masked, and the random salt of the secret
 * hashes left out (secrets are compared apart, by `diffInputs`).
 */
export function comparable(runPlan: unknown): Record<string, unknown> {
  const copy = JSON.parse(canonicalJson(redactDeep(runPlan))) as Record<string, unknown>;
  const inputs = copy.inputs as Record<string, unknown> | undefined;
  if (inputs && typeof inputs === 'object') delete inputs.secretHashes;
  return copy;
}

export function sha256Of(runPlan: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(comparable(runPlan)))
    .digest('hex');
}

export interface SaveContext {
  ws: { root: string };
}

export async function writeSavedPlan(
  file: string,
  runPlan: object,
  ctx: SaveContext,
  meta: Omit<
    SavedPlan,
    'format' | 'version' | 'createdAt' | 'toolVersion' | 'workspace' | 'sha256' | 'runPlan' | 'secretHashes'
  > & { secretHashes?: Record<string, string> },
): Promise<SavedPlan> {
  const doc: SavedPlan = {
    format: 'gnr-migrate/run-plan',
    version: 1,
    createdAt: new Date().toISOString(),
    toolVersion: toolVersion(),
    workspace: ctx.ws.root,
    ...meta,
    secretHashes: meta.secretHashes ?? {},
    sha256: sha256Of(runPlan),
    runPlan: comparable(runPlan),
  };
  await writeFileAtomic(resolve(file), `${JSON.stringify(redactDeep(doc), null, 2)}\n`);
  return doc;
}

export async function readSavedPlan(file: string): Promise<SavedPlan> {
  // Bounded, regular files only (core/read-file.ts): a FIFO or a device is refused with its path.
  const text = await readBoundedText(file, { what: 'the saved plan', maxBytes: 64 * 1024 * 1024 });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not a saved plan (not JSON: ${(err as Error).message})`);
  }
  const parsed = savedPlanSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InputError(
      `${file}: not a saved plan of gnr-migrate (${first?.path.join('.') || 'top'}: ${first?.message}). Make one with \`phase <id> --dry-run --out ${file}\`.`,
    );
  }
  if (parsed.data.sha256 !== createHash('sha256').update(canonicalJson(parsed.data.runPlan)).digest('hex'))
    throw new InputError(`${file}: the saved plan was edited after it was made (its sha256 does not match)`);
  return parsed.data;
}

/** `path: before → now` for every leaf that differs, at most `limit` lines. */
export function diffJson(before: unknown, now: unknown, limit = 30): string[] {
  const lines: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (lines.length >= limit) return;
    if (canonicalJson(a) === canonicalJson(b)) return;
    const isObj = (v: unknown) => v !== null && typeof v === 'object';
    if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
      const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
      for (const k of keys)
        walk(
          (a as Record<string, unknown>)[k],
          (b as Record<string, unknown>)[k],
          Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k,
        );
      return;
    }
    const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
    lines.push(`${path || '(top)'}: ${show(a)} → ${show(b)}`);
  };
  walk(before, now, '');
  return lines;
}

/** Throws exit 2 with the diff when the run plan made now is not the saved one. */
export function expectSamePlan(file: string, saved: SavedPlan, fresh: unknown, extra: string[] = []): void {
  const lines = [...extra, ...diffJson(saved.runPlan, comparable(fresh))];
  if (lines.length === 0) return;
  throw new InputError(
    `${file}: things changed since the plan was saved; nothing was done. Make a new plan with --dry-run --out.\n` +
      lines.map((l) => `    ${l}`).join('\n'),
  );
}
