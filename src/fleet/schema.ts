import { z } from 'zod';

/**
 * The fleet ledger, `migration/fleet/state.json`: what the controller knows of every host (its
 * phase as its own ledger last said, and each run the controller drove on it) and of every
 * fleet run (its waves and how each ended). Each host keeps its own ledger; this one records
 * what came back.
 */

/** How one host's part of a fleet run ended. */
export const hostOutcomeSchema = z.enum([
  /** `phase` succeeded: the host is at the phase. */
  'applied',
  /** `phase` failed and the host rolled itself back. */
  'rolled-back',
  /** The checklist (or the order rules, a lock) stopped it before anything changed. */
  'blocked',
  /** A failure whose rollback failed, or a rollback that failed: a person must look (exit 3). */
  'needs-person',
  /** Ansible could not reach it, or the agent could not be installed or run. */
  'unreachable',
  'error',
  /** `fleet rollback` brought it back. */
  'reverted',
  /** `fleet gate`: passed / failed. */
  'passed',
  'failed',
  /** Already at the phase: nothing to do. */
  'skipped',
  /** Its wave never started. */
  'not-started',
]);
export type HostOutcome = z.infer<typeof hostOutcomeSchema>;

export const hostRunSchema = z.object({
  /** The fleet run this belongs to. */
  fleetRun: z.string(),
  kind: z.enum(['phase', 'rollback', 'gate']),
  phase: z.number().nullable(),
  wave: z.string().optional(),
  outcome: hostOutcomeSchema,
  exitCode: z.number().nullable(),
  /** The run id in the host's own ledger. */
  hostRunId: z.string().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  durationMs: z.number().optional(),
  message: z.string(),
  /** The host rolled the phase back by itself (after a failed step or verify). */
  autoRollback: z.boolean().optional(),
  /** Copies brought back to the controller, relative to the controller's workspace. */
  failure: z.string().optional(),
  runbook: z.string().optional(),
});
export type HostRun = z.infer<typeof hostRunSchema>;

export const fleetHostSchema = z.object({
  workspace: z.string(),
  /** The host's current phase as its ledger said after the last run (null: none applied). */
  phase: z.number().nullable(),
  /** The wave it was in for the last fleet phase run. */
  wave: z.string().optional(),
  runs: z.array(hostRunSchema),
});
export type FleetHost = z.infer<typeof fleetHostSchema>;

export const waveStatusSchema = z.enum([
  'pending',
  'running',
  'succeeded',
  'stopped',
  'interrupted',
  'rolled-back',
]);

export const fleetWaveRecordSchema = z.object({
  name: z.string(),
  hosts: z.array(z.string()),
  maxFailPercentage: z.number(),
  status: waveStatusSchema,
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  applied: z.array(z.string()).default([]),
  failed: z.array(z.string()).default([]),
  skipped: z.array(z.string()).default([]),
  /** Why the wave stopped (the budget, an interrupt). */
  reason: z.string().optional(),
});
export type FleetWaveRecord = z.infer<typeof fleetWaveRecordSchema>;

export const fleetRunSchema = z.object({
  id: z.string(),
  kind: z.enum(['phase', 'rollback', 'gate']),
  phase: z.number().nullable(),
  inventory: z.string(),
  command: z.string(),
  status: z.enum(['running', 'succeeded', 'stopped', 'failed', 'interrupted']),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  forks: z.number().optional(),
  waves: z.array(fleetWaveRecordSchema),
  /** Who the run's rollback covered, for `fleet rollback`. */
  hosts: z.array(z.string()).optional(),
  /** Where Ansible's output and the fetched results are, relative to the workspace. */
  dir: z.string().optional(),
});
export type FleetRun = z.infer<typeof fleetRunSchema>;

export const fleetStateSchema = z.object({
  version: z.literal(1),
  hosts: z.record(z.string(), fleetHostSchema),
  runs: z.array(fleetRunSchema),
});
export type FleetState = z.infer<typeof fleetStateSchema>;

export function emptyFleetState(): FleetState {
  return { version: 1, hosts: {}, runs: [] };
}
