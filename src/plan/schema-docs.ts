import { type ZodType, z } from 'zod';
import {
  ackCheckSchema,
  builtinCheckSchema,
  checkSchema,
  compareSchema,
  envCheckSchema,
  environmentSchema,
  fileCheckSchema,
  gateSchema,
  httpCheckSchema,
  phaseSchema,
  planSchema,
  rollbackSchema,
  runCheckSchema,
  shellCheckSchema,
  stepSchema,
  systemSchema,
  tcpCheckSchema,
  triggersSchema,
  undoSchema,
  unixCheckSchema,
} from './schema.js';

/**
 * What each plan key means, as the JSON Schema's `description` (an editor shows it on hover).
 * Kept beside the zod schema rather than inside it so the schema stays readable; they meet in
 * zod's registry, and `plan schema` emits both. A key added to the schema without a line here
 * fails test/unit/plan-json-schema.test.ts, and a line here for a key that is gone fails at once.
 */

type Shape = Record<string, ZodType>;

/** The object shape inside optional/array wrappers. */
function shapeOf(schema: ZodType): Shape {
  let s: ZodType = schema;
  for (;;) {
    const def = (s as unknown as { def: { type: string; innerType?: ZodType; element?: ZodType } }).def;
    if (def.type === 'optional' && def.innerType) s = def.innerType;
    else if (def.type === 'array' && def.element) s = def.element;
    else if (def.type === 'record') s = (def as unknown as { valueType: ZodType }).valueType;
    else break;
  }
  const shape = (s as unknown as { shape?: Shape }).shape;
  if (!shape) throw new Error('schema-docs: not an object schema');
  return shape;
}

function doc(schema: ZodType, descriptions: Record<string, string>): void {
  const shape = shapeOf(schema);
  for (const [key, description] of Object.entries(descriptions)) {
    const field = shape[key];
    if (!field) throw new Error(`schema-docs: no key "${key}" in the plan schema`);
    z.globalRegistry.add(field, { description });
  }
}

/** A gate threshold: what the metric is, and what each of its bounds (`min`, `max`, …) holds. */
type Threshold = [metric: string, bounds: Record<string, string>];

/** Documents a group of gate thresholds: the metrics, then the bounds inside each. */
function thresholds(schema: ZodType, metrics: Record<string, Threshold>): void {
  doc(schema, Object.fromEntries(Object.entries(metrics).map(([key, [metric]]) => [key, metric])));
  const shape = shapeOf(schema);
  for (const [key, [, bounds]] of Object.entries(metrics)) doc(shape[key] as ZodType, bounds);
}

const lowest = (what: string) => `The lowest ${what} allowed.`;
const highest = (what: string) => `The highest ${what} allowed.`;

// One schema instance serves as the id of checks and steps (and the names of systems and
// environments), so one text describes them all.
const idText =
  'Identifier, unique within its list: letters, digits, "_", "." or "-". Names log files, ledger entries and report lines; --ack ID answers an ack check.';
const checkCommon = {
  id: idText,
  title: 'What a person reads in progress lines, reports and runbooks (default: the id).',
  severity: '"block" (default): a failure stops the phase. "warn": reported, never blocks.',
  timeout:
    'How long the check may take ("500ms", "30s", "5m", "1h" or seconds; default 30s); then its whole process tree is killed and it reports timeout.',
};
const commandExpect = {
  exit: 'The exit code that passes (default 0).',
  stdout: "A regular expression (multiline) that the program's standard output must match.",
};
const commandCommon = {
  cwd: 'The working folder; relative paths are taken from the workspace.',
  env: 'Extra environment variables for the program (values may hold ${var}).',
  timeout:
    'How long it may run ("30s", "5m", "1h" or seconds; default 10m for steps); then its whole process tree is killed.',
};

let documented = false;

/** Registers every description once (idempotent). */
export function documentPlanSchema(): void {
  if (documented) return;
  documented = true;
  doc(planSchema, {
    $schema: 'The JSON Schema this file follows (written by `gnr-migrate init`, for editors).',
    version: 'The plan format version: 1.',
    project: 'The project name: the first part of failure record names (letters, digits, "_", "." or "-").',
    description: 'Free text about this plan.',
    systems:
      'What gets backed up: each a folder or a single file, named for `backup:` and `rollback.restore:` lists.',
    vars: 'Values for ${name} in any string of the plan; --env and --var NAME=VALUE override them. ${env:NAME:-fallback} reads the process environment.',
    environments: 'Named overrides of vars and gate thresholds, chosen with --env NAME.',
    path: 'The order phases are applied in, e.g. [0, 3, 4, 5, 6, 7].',
    phases: 'Every phase: its checklist, backups, steps, verify checks and rollback.',
    gate: 'Thresholds of the CI gate: automatic rollback triggers and the parallel-run comparison.',
    secrets:
      'Names of vars whose values are secrets: masked in output, logs, the ledger, runbooks and saved plans.',
  });
  doc(systemSchema, {
    path: 'The folder or file to back up (may hold ${var}); relative paths are taken from the workspace.',
    exclude:
      'Globs relative to the system root that are not backed up: *, ?, [a-z], {a,b}, **; without "/" they match at any depth.',
    description: 'Free text about this system.',
  });
  doc(environmentSchema, {
    vars: 'Vars this environment overrides.',
    gate: 'Gate thresholds this environment overrides.',
  });
  doc(phaseSchema, {
    id: 'The phase number (0-999), as on the path.',
    title: 'A short name of the phase.',
    summary: 'One or two sentences on what the phase changes.',
    deferred: 'A phase not applied on this path; refused unless --allow-deferred.',
    gnrdaemon: 'What becomes of gnrdaemon in this phase (shown by status and runbooks).',
    pages: 'How pages live in this phase (shown by status and runbooks).',
    backup: 'The systems backed up (and verified) before the first step.',
    checks: 'The pre-migration checklist: every blocking check must pass before anything changes.',
    steps: 'What the phase does, in order; each recorded in the ledger before and after it runs.',
    verify: 'Success criteria, checked after the steps; a failure rolls the phase back.',
    rollback: 'How to undo the phase: target phase, extra steps, backups to restore, notes.',
    criteria: 'The success criteria in prose, for the runbook.',
    notes: 'Free text for the runbook.',
  });
  doc(rollbackSchema, {
    to: 'The phase a rollback returns to (default: the previous phase on the path).',
    steps: 'Steps run after the undo of each completed step, newest first.',
    restore: "Which of this phase's backups to restore (default: all of them).",
    notes: 'What a person should know when rolling back; printed in the runbook.',
  });
  for (const step of stepSchema.options) {
    doc(step, {
      id: idText,
      title: 'What a person reads in progress lines and the runbook (default: the id).',
      undo: 'A command that reverts this step, run (newest first) when the phase is rolled back.',
      ...commandCommon,
    });
  }
  doc(stepSchema.options[0], { run: 'The program and its arguments, run directly (never through a shell).' });
  doc(stepSchema.options[1], {
    shell: 'A shell line, run with /bin/sh -c: the explicit opt-in for a shell.',
  });
  for (const undo of undoSchema.options) doc(undo, commandCommon);
  doc(undoSchema.options[0], { run: 'The program and its arguments, run directly (never through a shell).' });
  doc(undoSchema.options[1], { shell: 'A shell line, run with /bin/sh -c.' });

  for (const check of checkSchema.options) doc(check, checkCommon);
  doc(runCheckSchema, {
    run: 'A program and its arguments, run directly (never through a shell); each element interpolated on its own.',
    cwd: commandCommon.cwd,
    expect: 'What passes: the exit code and, optionally, a regex on standard output.',
  });
  doc(runCheckSchema.shape.expect as ZodType, commandExpect);
  doc(shellCheckSchema, {
    shell: 'A shell line, run with /bin/sh -c: the explicit opt-in for a shell.',
    cwd: commandCommon.cwd,
    expect: 'What passes: the exit code and, optionally, a regex on standard output.',
  });
  doc(shellCheckSchema.shape.expect as ZodType, commandExpect);
  doc(httpCheckSchema, {
    http: 'The URL to request (an expected 3xx is not followed).',
    method: 'GET (default), HEAD or POST.',
    headers: 'Request headers.',
    expect: 'What passes: status, a regex on the body, header values.',
    retries: 'Further attempts after a failing one (each with the full timeout).',
    interval: 'The pause between attempts (default 1s).',
  });
  doc(httpCheckSchema.shape.expect as ZodType, {
    status: 'The HTTP status that passes (default 200).',
    body: 'A regular expression the response body must match.',
    header: 'Response headers, each a regular expression its value must match.',
  });
  doc(tcpCheckSchema, {
    tcp: '"host:port" to connect to.',
    expect: '"open" (default): something listens; "closed": nothing does.',
  });
  doc(unixCheckSchema, {
    unix: 'The path of a unix socket to connect to.',
    expect: '"open" (default): something listens; "closed": nothing does.',
  });
  doc(fileCheckSchema, {
    file: 'The path to look at; relative paths are taken from the workspace.',
    expect: '"exists" (default) or "absent".',
    contains: 'A regular expression the file content must match.',
  });
  doc(envCheckSchema, {
    env: 'The name of an environment variable of the process.',
    equals: 'The exact value it must have.',
    matches: 'A regular expression its value must match.',
    unset: 'true: the variable must not be set.',
  });
  doc(builtinCheckSchema, {
    builtin:
      'A check built into the tool: backup_exists, rollback_plan, previous_phase_applied, disk_space, git_clean, no_interrupted_run.',
    factor: 'disk_space: the free space needed, as a multiple of the size of the backups (default 2).',
    path: 'git_clean: the repository to inspect (default: the workspace).',
  });
  doc(ackCheckSchema, {
    ack: 'A question a person must answer yes to (on a terminal), or --ack ID in CI; recorded in the ledger.',
  });

  doc(gateSchema, {
    triggers: 'Automatic rollback triggers, checked against --metrics (and --baseline for ratios).',
    compare:
      'The parallel-run comparison of --metrics against --baseline: the new system is better when all hold.',
  });
  thresholds(triggersSchema, {
    validation_success_rate: ['Fraction of validations that succeed (0-1).', { min: lowest('success rate') }],
    error_rate: ['Fraction of requests that fail (0-1).', { max: highest('error rate') }],
    latency_p95: [
      '95th percentile latency, absolute or as a ratio to the baseline.',
      {
        max: highest('latency'),
        max_ratio_to_baseline: 'The highest latency allowed, as a multiple of the baseline.',
      },
    ],
    throughput: [
      'Requests per second, absolute or as a ratio to the baseline.',
      {
        min: lowest('throughput'),
        min_ratio_to_baseline: 'The lowest throughput allowed, as a multiple of the baseline.',
      },
    ],
    health_check_failures: ['Number of failed health checks.', { max: highest('number of failures') }],
  });
  thresholds(compareSchema, {
    validation_success_rate: [
      'Fraction of validations that succeed on the new system.',
      { min: lowest('success rate') },
    ],
    throughput_change: [
      'Relative change of throughput, new vs baseline (-0.05 is 5 % less).',
      { min: lowest('change') },
    ],
    latency_change: [
      'Relative change of latency, new vs baseline (0.10 is 10 % more).',
      { max: highest('change') },
    ],
  });
}
