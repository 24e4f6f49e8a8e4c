import { z } from 'zod';

/** The ledger, `migration/state.json` (DESIGN §6). */

export const runStatus = z.enum(['running', 'succeeded', 'failed', 'rolled-back', 'interrupted']);
export const stepStatus = z.enum(['running', 'succeeded', 'failed', 'skipped', 'interrupted', 'timed-out']);

export const stepRecordSchema = z.object({
  id: z.string(),
  /** What ran: a phase step, the undo of one, a rollback step, a restore. */
  stage: z.enum(['step', 'undo', 'rollback', 'restore', 'verify', 'checklist', 'backup', 'snapshot']),
  status: stepStatus,
  startedAt: z.string(),
  endedAt: z.string().optional(),
  durationMs: z.number().optional(),
  exitCode: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  log: z.string().optional(),
  message: z.string().optional(),
  /** The process group of a step while it runs: the next lock holder stops it if the run died. */
  pgid: z.number().optional(),
  /** The kernel start time of the group leader, to tell a reused pid from the step. */
  pgidStart: z.string().optional(),
});

export const ackRecordSchema = z.object({
  check: z.string(),
  question: z.string(),
  by: z.string(),
  at: z.string(),
  via: z.enum(['tty', 'flag']),
});

/**
 * What a run was given (issue 12 §3): the plan file and its hash, `--env`, the `--var`
 * overrides and the vars they resolved to, the tool version and the override flags. Rollback,
 * `--resume` and the runbook reuse them. A secret var's value is `***` here; its sha256 (salted
 * with the run id) lets a later command tell whether it was given the same value.
 */
export const runInputsSchema = z.object({
  planFile: z.string(),
  planHash: z.string(),
  environment: z.string().optional(),
  overrides: z.record(z.string(), z.string()).default({}),
  vars: z.record(z.string(), z.string()).default({}),
  secretHashes: z.record(z.string(), z.string()).default({}),
  toolVersion: z.string(),
  force: z.boolean().optional(),
  allowDeferred: z.boolean().optional(),
});

export const runSchema = z.object({
  id: z.string(),
  kind: z.enum(['phase', 'rollback', 'backup']),
  /** The phase applied (phase runs) or rolled back (rollback runs). */
  phase: z.number().nullable(),
  /** The ledger's current phase before the run. */
  from: z.number().nullable(),
  /** The current phase the run aims at (phase: `phase`; rollback: its target). */
  to: z.number().nullable(),
  status: runStatus,
  startedAt: z.string(),
  endedAt: z.string().optional(),
  host: z.string(),
  user: z.string(),
  pid: z.number(),
  command: z.string().optional(),
  planHash: z.string().optional(),
  steps: z.array(stepRecordSchema).default([]),
  backups: z.array(z.string()).default([]),
  snapshots: z.array(z.string()).default([]),
  acks: z.array(ackRecordSchema).default([]),
  failure: z.string().optional(),
  exitCode: z.number().optional(),
  reason: z.string().optional(),
  /** For `phase --resume`: the interrupted run this one continues. */
  resumes: z.string().optional(),
  /** For a run later settled by a rollback or resume. */
  settledBy: z.string().optional(),
  /** Added in 0.x without a version change: older ledgers have no inputs and still read. */
  inputs: runInputsSchema.optional(),
  /** A phase run: whether its checklist passed and every backup was made and verified. */
  safetyNet: z.boolean().optional(),
});

export const stateSchema = z.object({
  version: z.literal(1),
  project: z.string().optional(),
  current: z.number().nullable(),
  planHash: z.string().nullable(),
  updatedAt: z.string().optional(),
  runs: z.array(runSchema),
});

export type RunStatus = z.infer<typeof runStatus>;
export type StepRecord = z.infer<typeof stepRecordSchema>;
export type AckRecord = z.infer<typeof ackRecordSchema>;
export type Run = z.infer<typeof runSchema>;
export type RunInputs = z.infer<typeof runInputsSchema>;
export type State = z.infer<typeof stateSchema>;

export function emptyState(): State {
  return { version: 1, current: null, planHash: null, runs: [] };
}
