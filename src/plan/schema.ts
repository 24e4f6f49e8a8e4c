import { z } from 'zod';

/**
 * The plan (DESIGN §2) as zod schemas. The TypeScript types are inferred from these and the
 * JSON Schema (`plan schema`) is generated from them, so the three never drift apart.
 *
 * Values that hold `${var}` are validated twice: for shape here, and for meaning (URL, regex,
 * host:port) after interpolation, in `resolve.ts`.
 */

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected an id of letters, digits, "_", "." or "-"');

/** `30s`, `500ms`, `5m`, `1h`, or a number of seconds. */
export const durationSchema = z.union([
  z.number().positive(),
  z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'expected a duration like "500ms", "30s", "5m" or "1h"'),
]);

const scalar = z.union([z.string(), z.number(), z.boolean()]);
export const varsSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a var name'),
  scalar,
);

const argv = z.array(z.string()).min(1, 'expected at least the program name');
const envMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an env var name'), scalar);

const checkBase = {
  id,
  title: z.string().optional(),
  severity: z.enum(['block', 'warn']).optional(),
  timeout: durationSchema.optional(),
};

const commandExpect = z.strictObject({
  exit: z.number().int().min(0).max(255).optional(),
  stdout: z.string().optional(),
});

export const runCheckSchema = z.strictObject({
  ...checkBase,
  run: argv,
  cwd: z.string().optional(),
  expect: commandExpect.optional(),
});
export const shellCheckSchema = z.strictObject({
  ...checkBase,
  shell: z.string().min(1),
  cwd: z.string().optional(),
  expect: commandExpect.optional(),
});
export const httpCheckSchema = z.strictObject({
  ...checkBase,
  http: z.string().min(1),
  method: z.enum(['GET', 'HEAD', 'POST']).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  expect: z
    .strictObject({
      status: z.number().int().min(100).max(599).optional(),
      body: z.string().optional(),
      header: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  retries: z.number().int().min(0).max(1000).optional(),
  interval: durationSchema.optional(),
});
const openClosed = z.enum(['open', 'closed']);
export const tcpCheckSchema = z.strictObject({
  ...checkBase,
  tcp: z.string().min(1),
  expect: openClosed.optional(),
});
export const unixCheckSchema = z.strictObject({
  ...checkBase,
  unix: z.string().min(1),
  expect: openClosed.optional(),
});
export const fileCheckSchema = z.strictObject({
  ...checkBase,
  file: z.string().min(1),
  expect: z.enum(['exists', 'absent']).optional(),
  contains: z.string().optional(),
});
export const envCheckSchema = z.strictObject({
  ...checkBase,
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
  equals: z.string().optional(),
  matches: z.string().optional(),
  unset: z.boolean().optional(),
});
export const builtinNames = [
  'backup_exists',
  'rollback_plan',
  'previous_phase_applied',
  'disk_space',
  'git_clean',
  'no_interrupted_run',
] as const;
export const builtinCheckSchema = z.strictObject({
  ...checkBase,
  builtin: z.enum(builtinNames),
  /** `disk_space`: required free space as a multiple of the backup size (default 2). */
  factor: z.number().positive().optional(),
  /** `git_clean`: the repository to inspect (default: the workspace). */
  path: z.string().optional(),
});
export const ackCheckSchema = z.strictObject({ ...checkBase, ack: z.string().min(1) });

/** The kind keys, in the order of the union below (used to explain union errors). */
export const checkKinds = ['run', 'shell', 'http', 'tcp', 'unix', 'file', 'env', 'builtin', 'ack'] as const;
export type CheckKind = (typeof checkKinds)[number];

export const checkSchema = z.union([
  runCheckSchema,
  shellCheckSchema,
  httpCheckSchema,
  tcpCheckSchema,
  unixCheckSchema,
  fileCheckSchema,
  envCheckSchema,
  builtinCheckSchema,
  ackCheckSchema,
]);

const commandBase = {
  cwd: z.string().optional(),
  env: envMap.optional(),
  timeout: durationSchema.optional(),
};
export const undoSchema = z.union([
  z.strictObject({ run: argv, ...commandBase }),
  z.strictObject({ shell: z.string().min(1), ...commandBase }),
]);
const stepBase = { id, title: z.string().optional(), ...commandBase, undo: undoSchema.optional() };
export const stepSchema = z.union([
  z.strictObject({ ...stepBase, run: argv }),
  z.strictObject({ ...stepBase, shell: z.string().min(1) }),
]);
export const stepKinds = ['run', 'shell'] as const;

const phaseId = z.number().int().min(0).max(999);

export const rollbackSchema = z.strictObject({
  to: phaseId.optional(),
  steps: z.array(stepSchema).optional(),
  restore: z.array(z.string()).optional(),
  notes: z.string().optional(),
});

export const phaseSchema = z.strictObject({
  id: phaseId,
  title: z.string().optional(),
  summary: z.string().optional(),
  deferred: z.boolean().optional(),
  gnrdaemon: z.enum(['unchanged', 'reduced', 'fallback', 'eliminated', 'none']).optional(),
  pages: z.enum(['ephemeral', 'ephemeral+live', 'resident']).optional(),
  backup: z.array(z.string()).optional(),
  checks: z.array(checkSchema).optional(),
  steps: z.array(stepSchema).optional(),
  verify: z.array(checkSchema).optional(),
  rollback: rollbackSchema.optional(),
  criteria: z.array(z.string()).optional(),
  notes: z.string().optional(),
});

export const systemSchema = z.strictObject({
  path: z.string().min(1),
  exclude: z.array(z.string()).optional(),
  description: z.string().optional(),
});

const bound = z.number();
export const triggersSchema = z.strictObject({
  validation_success_rate: z.strictObject({ min: bound }).optional(),
  error_rate: z.strictObject({ max: bound }).optional(),
  latency_p95: z.strictObject({ max: bound.optional(), max_ratio_to_baseline: bound.optional() }).optional(),
  throughput: z.strictObject({ min: bound.optional(), min_ratio_to_baseline: bound.optional() }).optional(),
  health_check_failures: z.strictObject({ max: bound }).optional(),
});
export const compareSchema = z.strictObject({
  validation_success_rate: z.strictObject({ min: bound }).optional(),
  throughput_change: z.strictObject({ min: bound }).optional(),
  latency_change: z.strictObject({ max: bound }).optional(),
});
export const gateSchema = z.strictObject({
  triggers: triggersSchema.optional(),
  compare: compareSchema.optional(),
});

export const environmentSchema = z.strictObject({
  vars: varsSchema.optional(),
  gate: gateSchema.optional(),
});

export const planSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  project: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a project name of letters, digits, "_", "." or "-"'),
  description: z.string().optional(),
  systems: z.record(id, systemSchema).optional(),
  vars: varsSchema.optional(),
  /** Names of vars whose values are secret: shown as `***` everywhere the tool writes. */
  secrets: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a var name')).optional(),
  environments: z.record(id, environmentSchema).optional(),
  path: z.array(phaseId).min(1),
  phases: z.array(phaseSchema).min(1),
  gate: gateSchema.optional(),
});

export type PlanInput = z.infer<typeof planSchema>;
export type PhaseInput = z.infer<typeof phaseSchema>;
export type CheckInput = z.infer<typeof checkSchema>;
export type StepInput = z.infer<typeof stepSchema>;
export type UndoInput = z.infer<typeof undoSchema>;
export type SystemInput = z.infer<typeof systemSchema>;
export type GateInput = z.infer<typeof gateSchema>;
export type Triggers = z.infer<typeof triggersSchema>;
export type Compare = z.infer<typeof compareSchema>;
