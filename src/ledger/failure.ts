import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../core/atomic.js';
import { stampUnderscore } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { MissingFileError, readBoundedText } from '../core/read-file.js';
import { redactDeep } from '../core/redact.js';
import type { Workspace } from '../core/workspace.js';

/**
 * Failure records (DESIGN §6): `migration/failures/<system>_phase-<id>_<YYYYMMDD_HHMMSS>.json`,
 * one per failure, where `system` is the plan's project. The JSON Schema ships in dist/schemas/.
 */

export const failureKind = z.enum(['checklist', 'step', 'verify', 'rollback', 'interrupted', 'gate']);

const failingStep = z.object({
  id: z.string(),
  stage: z.string(),
  argv: z.array(z.string()).optional(),
  shell: z.string().optional(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  durationMs: z.number(),
  timedOut: z.boolean().optional(),
  log: z.string().optional(),
  message: z.string().optional(),
});

const failingCheck = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  message: z.string(),
  log: z.string().optional(),
});

export const rollbackOutcome = z.object({
  attempted: z.boolean(),
  /** succeeded: systems are back at the target phase; failed: a person must look. */
  outcome: z.enum(['succeeded', 'failed', 'not-attempted', 'skipped']),
  to: z.number().nullable().optional(),
  runId: z.string().optional(),
  reason: z.string().optional(),
  restored: z.array(z.string()).default([]),
  snapshots: z.array(z.string()).default([]),
  undone: z.array(z.string()).default([]),
  errors: z.array(z.string()).default([]),
  verify: z.array(failingCheck).default([]),
});

export const failureRecordSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  system: z.string(),
  phase: z.number().nullable(),
  kind: failureKind,
  timestamp: z.string(),
  reason: z.string(),
  runId: z.string(),
  step: failingStep.nullable(),
  checks: z.array(failingCheck),
  logTails: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.unknown()).nullable(),
  backups: z.array(z.object({ id: z.string(), system: z.string(), path: z.string() })),
  rollback: rollbackOutcome,
  runbook: z.string().optional(),
  host: z.string(),
  user: z.string(),
  toolVersion: z.string(),
});

export type FailureRecord = z.infer<typeof failureRecordSchema>;
export type FailureKind = z.infer<typeof failureKind>;
export type RollbackOutcome = z.infer<typeof rollbackOutcome>;

export function failureId(system: string, phase: number | null, at: Date): string {
  return `${system}_phase-${phase ?? 'none'}_${stampUnderscore(at)}`;
}

/** Writes a new record; a second failure in the same second gets a suffix, never overwrites. */
export async function writeFailure(
  ws: Workspace,
  record: Omit<FailureRecord, 'id'>,
  at: Date,
): Promise<FailureRecord> {
  await mkdir(ws.failuresDir, { recursive: true });
  const base = failureId(record.system, record.phase, at);
  const existing = new Set(await readdir(ws.failuresDir));
  let id = base;
  for (let n = 2; existing.has(`${id}.json`); n++) id = `${base}-${n}`;
  const full = failureRecordSchema.parse({ ...record, id });
  await writeJsonAtomic(join(ws.failuresDir, `${id}.json`), redactDeep(full));
  return full;
}

/** Rewrites an existing record (to add the rollback outcome to the same record). */
export async function updateFailure(ws: Workspace, record: FailureRecord): Promise<void> {
  await writeJsonAtomic(
    join(ws.failuresDir, `${record.id}.json`),
    redactDeep(failureRecordSchema.parse(record)),
  );
}

export function failurePath(ws: Workspace, id: string): string {
  return join(ws.failuresDir, `${id}.json`);
}

export async function listFailures(
  ws: Workspace,
): Promise<{ records: FailureRecord[]; unreadable: { file: string; reason: string }[] }> {
  let names: string[];
  try {
    names = (await readdir(ws.failuresDir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return { records: [], unreadable: [] };
  }
  const records: FailureRecord[] = [];
  const unreadable: { file: string; reason: string }[] = [];
  for (const name of names) {
    try {
      records.push(await readFailureFile(join(ws.failuresDir, name)));
    } catch (err) {
      unreadable.push({ file: name, reason: (err as Error).message });
    }
  }
  records.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id.localeCompare(b.id));
  return { records, unreadable };
}

export async function readFailure(ws: Workspace, id: string): Promise<FailureRecord> {
  const name = id.endsWith('.json') ? id.slice(0, -5) : id;
  if (name.includes('/') || name.includes('..'))
    throw new InputError(`failure "${id}": expected a record id, not a path`);
  try {
    return await readFailureFile(failurePath(ws, name));
  } catch (err) {
    if (err instanceof MissingFileError) {
      const { records } = await listFailures(ws);
      const known = records.slice(-5).map((r) => r.id);
      throw new InputError(
        `no failure record "${name}" in ${ws.failuresDir}${known.length ? ` (latest: ${known.join(', ')})` : ''}`,
      );
    }
    throw err;
  }
}

async function readFailureFile(file: string): Promise<FailureRecord> {
  const text = await readBoundedText(file, { what: 'a failure record', maxBytes: 16 * 1024 * 1024 });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = failureRecordSchema.safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new InputError(`${file}: not a failure record (${i?.path.join('.')}: ${i?.message})`);
  }
  return parsed.data;
}
