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

/** A wave's size in Ansible's `serial` terms: a number of hosts or a percentage of the fleet. */
const waveSize = z
  .union([
    z.number().int().positive(),
    z.string().regex(/^\d+%$/, 'expected a number of hosts or a percentage such as "25%"'),
  ])
  .describe('how many hosts, as in Ansible `serial`: a count (3) or a percentage of the fleet ("25%")');
const failPercentage = z
  .number()
  .min(0)
  .max(100)
  .describe(
    "the wave's failure budget, Ansible's max_fail_percentage: the wave stops, and later waves do not start, when more than this percentage of its hosts fail",
  );

export const fleetWaveSchema = z
  .strictObject({
    name: id.describe('the wave name, used by `fleet rollback --wave NAME` and in the fleet ledger'),
    hosts: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe(
        'inventory groups or host names (globs allowed, as in an Ansible pattern "P2:P3"); default: the inventory group named like the wave, else `size` hosts',
      ),
    size: waveSize.optional(),
    max_fail_percentage: failPercentage.optional(),
  })
  .describe('one wave of the fleet: its hosts are migrated at once (up to --forks at a time)');

export const fleetSchema = z
  .strictObject({
    inventory: z
      .string()
      .min(1)
      .optional()
      .describe(
        'the Ansible inventory (INI or YAML), relative to the workspace; default migration/fleet/inventory.yaml',
      ),
    order: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'inventory groups whose hosts go first, in this order (the priorities); default [P0, P1, P2, P3, P4]',
      ),
    waves: z
      .array(fleetWaveSchema)
      .min(1)
      .optional()
      .describe('the waves in order; default: `serial` 1, 25%, 100% (pilot, then a quarter, then the rest)'),
    max_fail_percentage: failPercentage.optional(),
    forks: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('hosts worked on at once (ansible-playbook --forks)'),
    tarball: z
      .string()
      .min(1)
      .optional()
      .describe(
        'the packed gnr-migrate to install on the hosts (npm pack); default: packed from the running tool',
      ),
  })
  .describe('the fleet: many hosts migrated in waves through Ansible (`gnr-migrate fleet ...`)');

export const environmentSchema = z.strictObject({
  vars: varsSchema.optional(),
  gate: gateSchema.optional(),
});

/** When a notification is sent: the events of a run's end (default: the first three). */
export const notifyOnSchema = z
  .enum(['failure', 'rollback', 'needs_person', 'success'])
  .describe(
    'failure: a phase failed (checklist, backup, step, verify, interrupt); rollback: it was rolled back automatically; needs_person: a rollback failed (exit 3); success: a phase or rollback succeeded',
  );
const notifyCommon = {
  on: z
    .array(notifyOnSchema)
    .min(1)
    .optional()
    .describe('the events that send this notification (default: [failure, rollback, needs_person])'),
  timeout: durationSchema
    .optional()
    .describe('how long delivery may take before it is given up as a warning (default: 10s)'),
};
export const webhookNotifySchema = z
  .strictObject({
    webhook: z
      .string()
      .min(1)
      .describe(
        'an http(s) URL that gets a JSON POST; a Slack or Mattermost incoming webhook works as is. Secrets belong in ${env:NAME}',
      ),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe('extra HTTP headers, e.g. Authorization: "Bearer ${env:NOTIFY_TOKEN}"'),
    body: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .optional()
      .describe(
        'the body instead of the default JSON ({text, project, phase, run_id, outcome, failure_record, rollback, host, …}): a mapping is sent as JSON, a string as is; ${field} takes a field of the event or a plan var',
      ),
    ...notifyCommon,
  })
  .describe('a webhook notified at the end of a run');
export const runNotifySchema = z
  .strictObject({
    run: argv.describe(
      'a program and its arguments (never a shell); ${field} takes a field of the event; the whole event is in $GNR_MIGRATE_EVENT_JSON (JSON)',
    ),
    ...notifyCommon,
  })
  .describe('a program run at the end of a run');
export const notifySchema = z.union([webhookNotifySchema, runNotifySchema]);

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
  notify: z
    .array(notifySchema)
    .optional()
    .describe(
      'who is told when a run fails, is rolled back, needs a person, or (if asked) succeeds; a notification that cannot be delivered is a warning, never a failure',
    ),
  fleet: fleetSchema.optional(),
});

export type PlanInput = z.infer<typeof planSchema>;
export type PhaseInput = z.infer<typeof phaseSchema>;
export type CheckInput = z.infer<typeof checkSchema>;
export type StepInput = z.infer<typeof stepSchema>;
export type UndoInput = z.infer<typeof undoSchema>;
export type SystemInput = z.infer<typeof systemSchema>;
export type GateInput = z.infer<typeof gateSchema>;
export type FleetInput = z.infer<typeof fleetSchema>;
export type Triggers = z.infer<typeof triggersSchema>;
export type Compare = z.infer<typeof compareSchema>;
export type NotifyInput = z.infer<typeof notifySchema>;
export type NotifyOn = z.infer<typeof notifyOnSchema>;
