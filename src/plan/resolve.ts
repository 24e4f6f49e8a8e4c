import { InputError, PlanError, type PlanIssue } from '../core/errors.js';
import { addSecrets, minSecretLength } from '../core/redact.js';
import { interpolate, resolveVarsReporting, UnknownVarError, type VarValue } from './interpolate.js';
import { type DocPath, formatDocPath, type PlanSource } from './load.js';
import type { CheckInput, GateInput, PhaseInput, PlanInput, StepInput, UndoInput } from './schema.js';
import {
  type Check,
  type Command,
  defaultCheckTimeoutMs,
  defaultHttpIntervalMs,
  defaultStepTimeoutMs,
  type Gate,
  type Phase,
  type Plan,
  type Step,
  type System,
} from './types.js';
import { at } from './validate.js';

export interface ResolveOptions {
  /** `--env NAME`: an entry of `environments:`. */
  environment?: string;
  /** `--var k=v`, applied last. */
  vars?: Record<string, string>;
  /** The process environment, for `${env:NAME}`. */
  processEnv?: NodeJS.ProcessEnv;
  isDefault?: boolean;
}

/**
 * Normalises a schema-valid plan and runs the cross-checks the schema cannot express: unique
 * ids, the path and rollback targets naming real, earlier phases, systems that exist, every
 * `${var}` with a value, and URLs, ports and regexes that are valid once interpolated.
 */
export function resolvePlan(source: PlanSource, input: PlanInput, options: ResolveOptions = {}): Plan {
  const issues: PlanIssue[] = [];
  const warnings: string[] = [];
  const processEnv = options.processEnv ?? process.env;
  const issue = (path: DocPath, message: string) => issues.push(at(source, path, message));

  let rawVars: Record<string, VarValue> = { ...(input.vars ?? {}) };
  let gateInput: GateInput = input.gate ?? {};
  if (options.environment !== undefined) {
    const envs = input.environments ?? {};
    const env = envs[options.environment];
    if (!env) {
      const known = Object.keys(envs);
      throw new InputError(
        `--env ${options.environment}: no such environment in ${source.file}` +
          (known.length ? ` (known: ${known.join(', ')})` : ' (the plan has no environments: section)'),
      );
    }
    rawVars = { ...rawVars, ...(env.vars ?? {}) };
    gateInput = mergeGate(gateInput, env.gate ?? {});
  }
  const unknown = Object.keys(options.vars ?? {}).filter((n) => !knownVarNames(input).has(n));
  if (unknown.length > 0) {
    const known = [...knownVarNames(input)].sort();
    throw new InputError(
      `--var ${unknown.join(', ')}: not a var of ${source.file} (known: ${known.join(', ') || 'none'})`,
    );
  }
  rawVars = { ...rawVars, ...(options.vars ?? {}) };

  // Every var that can be resolved is; a cycle or a missing var is reported once, and the vars
  // it leaves without a value are not reported again at each use.
  const resolved = resolveVarsReporting(rawVars, processEnv);
  const vars: Record<string, string> = resolved.values;
  for (const err of resolved.errors) {
    const first = err instanceof UnknownVarError ? (err.chain[0] ?? err.varName) : err.chain[0];
    issue(first && input.vars && first in input.vars ? ['vars', first] : ['vars'], err.message);
  }

  const str = (value: string, path: DocPath): string => {
    try {
      return interpolate(value, vars, processEnv);
    } catch (err) {
      if (err instanceof UnknownVarError) {
        if (!resolved.broken.has(err.varName)) issue(path, err.message);
        return value;
      }
      throw err;
    }
  };
  const strs = (values: string[], path: DocPath) => values.map((v, i) => str(v, [...path, i]));

  // Systems
  const systems: Record<string, System> = {};
  for (const [name, sys] of Object.entries(input.systems ?? {})) {
    const path = str(sys.path, ['systems', name, 'path']);
    systems[name] = {
      name,
      path,
      exclude: sys.exclude ?? [],
      ...(sys.description ? { description: sys.description } : {}),
    };
  }

  // Phases: ids unique, then normalised.
  const seen = new Map<number, number>();
  input.phases.forEach((p, i) => {
    const prev = seen.get(p.id);
    if (prev !== undefined) issue(['phases', i, 'id'], `duplicate phase id ${p.id} (also phases[${prev}])`);
    else seen.set(p.id, i);
  });

  // Path: known, non-deferred, unique phases.
  const pathSeen = new Set<number>();
  input.path.forEach((id, i) => {
    if (!seen.has(id)) issue(['path', i], `phase ${id} is on the path but not defined under phases:`);
    if (pathSeen.has(id)) issue(['path', i], `phase ${id} appears twice on the path`);
    pathSeen.add(id);
    const phase = input.phases[seen.get(id) ?? -1];
    if (phase?.deferred) issue(['path', i], `phase ${id} is deferred and cannot be on the path`);
  });

  const phases = input.phases.map((p, i) =>
    normalisePhase(p, ['phases', i], { input, systems, str, strs, issue }),
  );

  for (const p of phases) {
    if (!p.deferred && !input.path.includes(p.id)) {
      warnings.push(`phase ${p.id} is neither on the path nor deferred: it can only be applied with --force`);
    }
  }

  const gate: Gate = { triggers: gateInput.triggers ?? {}, compare: gateInput.compare ?? {} };

  const secrets = input.secrets ?? [];
  secrets.forEach((name, i) => {
    if (!(name in rawVars)) issue(['secrets', i], `secret "${name}" is not a var of the plan`);
    else if ((vars[name] ?? '').length > 0 && (vars[name] ?? '').length < minSecretLength)
      warnings.push(`secret var ${name} is shorter than ${minSecretLength} characters: it cannot be masked`);
  });
  addSecrets(secrets.map((n) => vars[n] ?? '').filter((v) => v !== ''));

  if (issues.length > 0) throw new PlanError(issues);
  return {
    file: source.file,
    isDefault: options.isDefault ?? false,
    hash: source.hash,
    project: input.project,
    ...(input.description ? { description: input.description } : {}),
    ...(options.environment !== undefined ? { environment: options.environment } : {}),
    vars,
    secrets,
    overrides: { ...(options.vars ?? {}) },
    systems,
    path: input.path,
    phases,
    gate,
    warnings,
  };
}

interface Ctx {
  input: PlanInput;
  systems: Record<string, System>;
  str: (v: string, path: DocPath) => string;
  strs: (v: string[], path: DocPath) => string[];
  issue: (path: DocPath, message: string) => void;
}

function normalisePhase(p: PhaseInput, path: DocPath, ctx: Ctx): Phase {
  const { input, str, issue } = ctx;
  const backup = p.backup ?? [];
  backup.forEach((name, i) => {
    if (!ctx.systems[name]) issue([...path, 'backup', i], unknownSystem(name, ctx));
  });

  // Rollback target: an earlier phase. Default: the previous phase on the path.
  let to: number | null;
  const pos = input.path.indexOf(p.id);
  if (p.rollback?.to !== undefined) {
    to = p.rollback.to;
    const target = input.phases.find((q) => q.id === to);
    const targetPos = input.path.indexOf(to);
    if (!target) issue([...path, 'rollback', 'to'], `rollback target ${to} is not a phase of this plan`);
    else if (pos !== -1 ? targetPos === -1 || targetPos >= pos : to >= p.id) {
      issue(
        [...path, 'rollback', 'to'],
        `rollback target ${to} is not an earlier phase than ${p.id} on the path`,
      );
    }
  } else {
    to = pos > 0 ? (input.path[pos - 1] ?? null) : null;
  }

  const restore = p.rollback?.restore ?? backup;
  restore.forEach((name, i) => {
    if (!ctx.systems[name]) issue([...path, 'rollback', 'restore', i], unknownSystem(name, ctx));
    else if (!backup.includes(name)) {
      issue(
        [...path, 'rollback', 'restore', i],
        `restores "${name}", which this phase does not back up (add it to backup:)`,
      );
    }
  });

  const checks = normaliseChecks(p.checks ?? [], [...path, 'checks'], ctx);
  const verify = normaliseChecks(p.verify ?? [], [...path, 'verify'], ctx);
  const steps = normaliseSteps(p.steps ?? [], [...path, 'steps'], ctx);
  const rollbackSteps = normaliseSteps(p.rollback?.steps ?? [], [...path, 'rollback', 'steps'], ctx);

  return {
    id: p.id,
    title: p.title ? str(p.title, [...path, 'title']) : `Phase ${p.id}`,
    ...(p.summary ? { summary: str(p.summary, [...path, 'summary']) } : {}),
    deferred: p.deferred ?? false,
    ...(p.gnrdaemon ? { gnrdaemon: p.gnrdaemon } : {}),
    ...(p.pages ? { pages: p.pages } : {}),
    backup,
    checks,
    steps,
    verify,
    rollback: {
      to,
      steps: rollbackSteps,
      restore,
      ...(p.rollback?.notes ? { notes: str(p.rollback.notes, [...path, 'rollback', 'notes']) } : {}),
    },
    criteria: p.criteria ?? [],
    ...(p.notes ? { notes: str(p.notes, [...path, 'notes']) } : {}),
    docPath: formatDocPath(path),
  };
}

function unknownSystem(name: string, ctx: Ctx): string {
  const known = Object.keys(ctx.systems);
  return `unknown system "${name}"${known.length ? ` (systems: ${known.join(', ')})` : ' (the plan has no systems:)'}`;
}

function normaliseChecks(list: CheckInput[], path: DocPath, ctx: Ctx): Check[] {
  const ids = new Map<string, number>();
  return list.map((c, i) => {
    const p = [...path, i];
    const prev = ids.get(c.id);
    if (prev !== undefined)
      ctx.issue([...p, 'id'], `duplicate check id "${c.id}" (also ${formatIndex(path, prev)})`);
    else ids.set(c.id, i);
    return normaliseCheck(c, p, ctx);
  });
}

function formatIndex(path: DocPath, i: number): string {
  return formatDocPath([...path, i]);
}

function normaliseCheck(c: CheckInput, path: DocPath, ctx: Ctx): Check {
  const { str, strs, issue } = ctx;
  const common = {
    id: c.id,
    title: c.title ? str(c.title, [...path, 'title']) : c.id,
    severity: c.severity ?? 'block',
    timeoutMs: c.timeout !== undefined ? toMs(c.timeout) : defaultCheckTimeoutMs,
    docPath: formatDocPath(path),
  } as const;
  const regex = (value: string | undefined, key: DocPath): string | undefined => {
    if (value === undefined) return undefined;
    const v = str(value, [...path, ...key]);
    try {
      new RegExp(v);
    } catch (err) {
      issue([...path, ...key], `not a valid regular expression: ${(err as Error).message}`);
    }
    return v;
  };

  if ('run' in c) {
    return {
      ...common,
      kind: 'run',
      argv: strs(c.run, [...path, 'run']),
      ...(c.cwd ? { cwd: str(c.cwd, [...path, 'cwd']) } : {}),
      expect: { exit: c.expect?.exit ?? 0, ...opt('stdout', regex(c.expect?.stdout, ['expect', 'stdout'])) },
    };
  }
  if ('shell' in c) {
    return {
      ...common,
      kind: 'shell',
      script: str(c.shell, [...path, 'shell']),
      ...(c.cwd ? { cwd: str(c.cwd, [...path, 'cwd']) } : {}),
      expect: { exit: c.expect?.exit ?? 0, ...opt('stdout', regex(c.expect?.stdout, ['expect', 'stdout'])) },
    };
  }
  if ('http' in c) {
    const url = str(c.http, [...path, 'http']);
    if (!url.includes('${')) {
      try {
        const u = new URL(url);
        if (u.protocol !== 'http:' && u.protocol !== 'https:')
          issue([...path, 'http'], `expected an http:// or https:// URL, got ${url}`);
      } catch {
        issue([...path, 'http'], `expected URL, got ${JSON.stringify(url)}`);
      }
    }
    return {
      ...common,
      kind: 'http',
      url,
      method: c.method ?? 'GET',
      headers: c.headers ?? {},
      expect: {
        status: c.expect?.status ?? 200,
        ...opt('body', regex(c.expect?.body, ['expect', 'body'])),
        ...(c.expect?.header ? { header: c.expect.header } : {}),
      },
      retries: c.retries ?? 0,
      intervalMs: c.interval !== undefined ? toMs(c.interval) : defaultHttpIntervalMs,
    };
  }
  if ('tcp' in c) {
    const target = str(c.tcp, [...path, 'tcp']);
    const m = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(target);
    const port = m ? Number(m[2]) : Number.NaN;
    if (!m || !(port >= 1 && port <= 65535))
      issue(
        [...path, 'tcp'],
        `expected "host:port" with a port from 1 to 65535, got ${JSON.stringify(target)}`,
      );
    return {
      ...common,
      kind: 'tcp',
      host: m ? (m[1] ?? '').replace(/^\[|\]$/g, '') : target,
      port,
      expect: c.expect ?? 'open',
    };
  }
  if ('unix' in c)
    return { ...common, kind: 'unix', path: str(c.unix, [...path, 'unix']), expect: c.expect ?? 'open' };
  if ('file' in c) {
    return {
      ...common,
      kind: 'file',
      path: str(c.file, [...path, 'file']),
      expect: c.expect ?? 'exists',
      ...opt('contains', regex(c.contains, ['contains'])),
    };
  }
  if ('env' in c) {
    return {
      ...common,
      kind: 'env',
      name: c.env,
      ...(c.equals !== undefined ? { equals: str(c.equals, [...path, 'equals']) } : {}),
      ...opt('matches', regex(c.matches, ['matches'])),
      unset: c.unset ?? false,
    };
  }
  if ('builtin' in c) {
    return {
      ...common,
      kind: 'builtin',
      name: c.builtin,
      factor: c.factor ?? 2,
      ...(c.path ? { path: str(c.path, [...path, 'path']) } : {}),
    };
  }
  return { ...common, kind: 'ack', question: str(c.ack, [...path, 'ack']) };
}

function normaliseSteps(list: StepInput[], path: DocPath, ctx: Ctx): Step[] {
  const ids = new Map<string, number>();
  return list.map((s, i) => {
    const p = [...path, i];
    const prev = ids.get(s.id);
    if (prev !== undefined)
      ctx.issue([...p, 'id'], `duplicate step id "${s.id}" (also ${formatIndex(path, prev)})`);
    else ids.set(s.id, i);
    const cmd = normaliseCommand(s, p, ctx, defaultStepTimeoutMs);
    return {
      ...cmd,
      id: s.id,
      title: s.title ? ctx.str(s.title, [...p, 'title']) : s.id,
      ...(s.undo ? { undo: normaliseCommand(s.undo, [...p, 'undo'], ctx, defaultStepTimeoutMs) } : {}),
      docPath: formatDocPath(p),
    };
  });
}

function normaliseCommand(
  c: StepInput | UndoInput,
  path: DocPath,
  ctx: Ctx,
  defaultTimeout: number,
): Command {
  const base = {
    ...(c.cwd ? { cwd: ctx.str(c.cwd, [...path, 'cwd']) } : {}),
    env: Object.fromEntries(
      Object.entries(c.env ?? {}).map(([k, v]) => [k, ctx.str(String(v), [...path, 'env', k])]),
    ),
    timeoutMs: c.timeout !== undefined ? toMs(c.timeout) : defaultTimeout,
  };
  if ('run' in c && c.run) return { kind: 'run', argv: ctx.strs(c.run, [...path, 'run']), ...base };
  return { kind: 'shell', script: ctx.str((c as { shell: string }).shell, [...path, 'shell']), ...base };
}

function mergeGate(base: GateInput, over: GateInput): GateInput {
  const merge = <T extends Record<string, object | undefined>>(a: T | undefined, b: T | undefined): T => {
    const out: Record<string, object | undefined> = { ...(a ?? {}) };
    for (const [k, v] of Object.entries(b ?? {})) out[k] = { ...(out[k] ?? {}), ...(v ?? {}) };
    return out as T;
  };
  return { triggers: merge(base.triggers, over.triggers), compare: merge(base.compare, over.compare) };
}

export function toMs(d: number | string): number {
  if (typeof d === 'number') return d * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return n * unit;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The var names `--var` may set: declared under `vars:` or an environment's `vars:`, or used
 * as `${name}` somewhere in the plan. Anything else is a typo that would silently do nothing.
 */
export function knownVarNames(input: PlanInput): Set<string> {
  const names = new Set(Object.keys(input.vars ?? {}));
  for (const env of Object.values(input.environments ?? {}))
    for (const n of Object.keys(env.vars ?? {})) names.add(n);
  for (const m of JSON.stringify(input).matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
  return names;
}
