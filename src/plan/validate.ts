import type { z } from 'zod';
import { closest } from '../core/closest.js';
import type { PlanIssue } from '../core/errors.js';
import { type DocPath, formatDocPath, type PlanSource } from './load.js';
import { checkKinds, planSchema, stepKinds } from './schema.js';

type Issue = z.core.$ZodIssue;

/** Schema validation of a parsed plan; returns the typed plan or every issue found. */
export function validatePlanData(
  source: PlanSource,
): { ok: true; plan: z.infer<typeof planSchema> } | { ok: false; issues: PlanIssue[] } {
  const result = planSchema.safeParse(source.data);
  if (result.success) return { ok: true, plan: result.data };
  const issues: PlanIssue[] = [];
  for (const issue of result.error.issues) issues.push(...explain(issue, [], source));
  return { ok: false, issues: dedupe(issues) };
}

function explain(issue: Issue, prefix: PropertyKey[], source: PlanSource): PlanIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union') {
    return explainUnion(issue, path, source);
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => at(source, [...path, key], `unknown key "${key}"${suggest(key)}`));
  }
  return [at(source, path, messageOf(issue, source, path))];
}

/**
 * A check or step is a union keyed by its kind (`run`, `http`, ...). zod reports a failed
 * union as one issue per branch; the useful one is the branch whose kind key the input has.
 */
function explainUnion(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  path: PropertyKey[],
  source: PlanSource,
) {
  const value = valueAt(source.data, path);
  const branches = issue.errors;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const kinds =
      branches.length === checkKinds.length
        ? checkKinds
        : branches.length === stepKinds.length
          ? stepKinds
          : undefined;
    if (kinds) {
      const present = kinds.filter((k) => k in value);
      const what = kinds === checkKinds ? 'check' : 'step';
      if (present.length === 0) {
        return [at(source, path, `a ${what} needs one of the keys ${kinds.join(', ')}`)];
      }
      if (present.length > 1) {
        return [at(source, path, `a ${what} has exactly one kind; found ${present.join(' and ')}`)];
      }
      const index = kinds.indexOf(present[0] as never);
      const chosen = branches[index] ?? [];
      return chosen.flatMap((i) => explain(i, path, source));
    }
  }
  // Scalars unions (durations) and others: report the branch that got furthest.
  const best = [...branches].sort((a, b) => depth(b) - depth(a))[0] ?? [];
  if (best.length > 0 && depth(best) > 0) return best.flatMap((i) => explain(i, path, source));
  return [at(source, path, issue.message === 'Invalid input' ? describeExpected(path) : issue.message)];
}

function depth(issues: Issue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length + (i.code === 'invalid_type' ? 0 : 1)));
}

function describeExpected(path: PropertyKey[]): string {
  const last = path[path.length - 1];
  if (last === 'timeout' || last === 'interval')
    return 'expected a duration like "500ms", "30s", "5m" or "1h"';
  if (last === 'undo') return 'an undo needs exactly one of the keys run, shell';
  return 'invalid value';
}

function messageOf(issue: Issue, source: PlanSource, path: PropertyKey[]): string {
  if (issue.code === 'invalid_type') {
    const got = valueAt(source.data, path);
    if (got === undefined) return `missing required key (expected ${issue.expected})`;
    return `expected ${issue.expected}, got ${describe(got)}`;
  }
  if (issue.code === 'invalid_value') {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(valueAt(source.data, path))}`;
  }
  return issue.message;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const knownKeys = [
  'version',
  'project',
  'systems',
  'vars',
  'environments',
  'path',
  'phases',
  'gate',
  'id',
  'title',
  'summary',
  'deferred',
  'gnrdaemon',
  'pages',
  'backup',
  'checks',
  'steps',
  'verify',
  'rollback',
  'criteria',
  'notes',
  'to',
  'restore',
  'run',
  'shell',
  'http',
  'tcp',
  'unix',
  'file',
  'env',
  'builtin',
  'ack',
  'severity',
  'timeout',
  'expect',
  'retries',
  'interval',
  'contains',
  'equals',
  'matches',
  'unset',
  'cwd',
  'undo',
  'exclude',
  'triggers',
  'compare',
  'status',
  'body',
  'stdout',
  'exit',
  'method',
  'headers',
];

function suggest(key: string): string {
  const best = closest(key.toLowerCase(), knownKeys);
  return best ? ` (did you mean "${best}"?)` : '';
}

export function valueAt(data: unknown, path: DocPath): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export function at(source: PlanSource, path: DocPath, message: string): PlanIssue {
  const pos = source.locate(path);
  return {
    file: source.file,
    ...(pos ? { line: pos.line, column: pos.column } : {}),
    path: formatDocPath(path),
    message,
  };
}

function dedupe(issues: PlanIssue[]): PlanIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\0${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
