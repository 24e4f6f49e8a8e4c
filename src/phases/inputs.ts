import { createHash, randomBytes } from 'node:crypto';
import { redacted } from '../core/redact.js';
import type { RunInputs } from '../ledger/schema.js';
import type { Plan } from '../plan/types.js';

/**
 * A run's inputs (issue 12 §3): what it was resolved from, recorded in the ledger so that its
 * rollback, its resume and its runbook use the same values, and so that other values given
 * later are refused with a diff instead of aiming an undo at other paths than the run changed.
 */

export interface InputFlags {
  force?: boolean;
  allowDeferred?: boolean;
  toolVersion: string;
}

function hashSecret(salt: string, value: string): string {
  return createHash('sha256').update(`${salt}\0${value}`).digest('hex');
}

/** The inputs of a run resolved as `plan`; secrets as `***` plus a salted hash. */
export function runInputsOf(plan: Plan, flags: InputFlags, salt = randomBytes(8).toString('hex')): RunInputs {
  const secret = new Set(plan.secrets);
  const mask = (vars: Record<string, string>) =>
    Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, secret.has(k) ? redacted : v]));
  const secretHashes: Record<string, string> = {};
  for (const name of plan.secrets) {
    const value = plan.vars[name];
    if (value !== undefined) secretHashes[name] = `${salt}:${hashSecret(salt, value)}`;
  }
  return {
    planFile: plan.file,
    planHash: plan.hash,
    ...(plan.environment !== undefined ? { environment: plan.environment } : {}),
    overrides: mask(plan.overrides),
    vars: mask(plan.vars),
    secretHashes,
    toolVersion: flags.toolVersion,
    ...(flags.force !== undefined ? { force: flags.force } : {}),
    ...(flags.allowDeferred !== undefined ? { allowDeferred: flags.allowDeferred } : {}),
  };
}

export interface InputDiffOptions {
  /** Compare the plan file's bytes (resume, saved plans) or only the values (rollback). */
  planHash: boolean;
  toolVersion: boolean;
}

/**
 * Lines `what: recorded → now` for every input of `plan` (resolved now) that differs from what
 * `recorded` says the run had. A secret is compared by its salted hash and shown as `***`.
 */
export function diffInputs(
  recorded: RunInputs,
  plan: Plan,
  toolVersion: string,
  options: InputDiffOptions,
): string[] {
  const lines: string[] = [];
  if (options.planHash && recorded.planHash !== plan.hash)
    lines.push(
      `plan ${plan.file}: sha256 ${recorded.planHash.slice(0, 12)}… → ${plan.hash.slice(0, 12)}… (the file changed)`,
    );
  if ((recorded.environment ?? null) !== (plan.environment ?? null))
    lines.push(`--env: ${recorded.environment ?? '(none)'} → ${plan.environment ?? '(none)'}`);
  const secret = new Set([...plan.secrets, ...Object.keys(recorded.secretHashes)]);
  const names = new Set([...Object.keys(recorded.vars), ...Object.keys(plan.vars)]);
  for (const name of [...names].sort()) {
    const before = recorded.vars[name];
    const now = plan.vars[name];
    if (secret.has(name)) {
      const stored = recorded.secretHashes[name];
      if (!stored || now === undefined) {
        if ((stored === undefined) !== (now === undefined))
          lines.push(
            `var ${name}: ${before === undefined ? '(unset)' : redacted} → ${now === undefined ? '(unset)' : redacted}`,
          );
        continue;
      }
      const [salt, hash] = stored.split(':');
      if (hashSecret(salt ?? '', now) !== hash)
        lines.push(`var ${name}: ${redacted} → ${redacted} (a different secret value)`);
      continue;
    }
    if (before !== now) lines.push(`var ${name}: ${show(before)} → ${show(now)}`);
  }
  if (options.toolVersion && recorded.toolVersion !== toolVersion)
    lines.push(`gnr-migrate: ${recorded.toolVersion} → ${toolVersion}`);
  return lines;
}

function show(v: string | undefined): string {
  return v === undefined ? '(unset)' : JSON.stringify(v);
}

/** The `--var`/`--env` arguments that reproduce a run's inputs, for runbooks and messages. */
export function inputArgs(inputs: RunInputs | undefined): string[] {
  if (!inputs) return [];
  const args: string[] = [];
  if (inputs.environment !== undefined) args.push('--env', inputs.environment);
  for (const [k, v] of Object.entries(inputs.overrides)) args.push('--var', `${k}=${v}`);
  return args;
}
