import { resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { redacted } from '../core/redact.js';
import { toolVersion } from '../core/version.js';
import { diffInputs } from '../phases/inputs.js';
import { expectSamePlan, readSavedPlan, type SavedPlan } from '../phases/saved-plan.js';
import type { Plan } from '../plan/types.js';
import { type CommandContext, parseVars, requireWorkspace } from './context.js';

/**
 * `gnr-migrate apply FILE`: executes a run plan saved by `phase <id> --dry-run --out FILE` or
 * `rollback --dry-run --out FILE`, exactly. The run plan is made again under the lock from the
 * saved inputs and compared with the saved one; any difference (the plan file, a var, the
 * ledger, the tool) is exit 2 with the differences, and nothing is changed. Applying a saved
 * plan is the confirmation: it does not ask again.
 */
export async function run(
  ctx: CommandContext,
  file: string,
  options: { concurrency: number },
): Promise<number> {
  const saved = await readSavedPlan(file);
  if (resolve(saved.workspace) !== ctx.ws.root)
    throw new InputError(
      `${file}: saved for the workspace ${saved.workspace}, not ${ctx.ws.root}; run it there (--cwd ${saved.workspace})`,
    );
  requireWorkspace(ctx);
  const sub = contextFor(ctx, saved, file);
  const expect = (fresh: unknown, plan: Plan) =>
    expectSamePlan(file, saved, fresh, [
      ...(saved.toolVersion !== toolVersion()
        ? [`gnr-migrate: ${saved.toolVersion} → ${toolVersion()}`]
        : []),
      ...secretDiff(saved, plan),
    ]);
  if (saved.command === 'phase') {
    const { applyPhaseCommand } = await import('../phases/apply.js');
    return applyPhaseCommand(
      sub,
      String(saved.phase),
      {
        allowDeferred: saved.options.allowDeferred,
        force: saved.options.force,
        resume: saved.options.resume,
        autoRollback: saved.options.autoRollback,
        yes: true,
        concurrency: options.concurrency,
        ack: saved.options.acks,
      },
      { expect },
    );
  }
  const { executeRollback } = await import('./rollback.js');
  const { diskBackupStore, noRunEvents } = await import('../phases/definitions.js');
  return executeRollback(
    sub,
    saved.options.to ?? undefined,
    {
      yes: true,
      force: saved.options.force,
      snapshot: saved.options.snapshot,
      ...(saved.options.reason !== undefined ? { reason: saved.options.reason } : {}),
    },
    { backups: diskBackupStore, events: noRunEvents, expect },
  );
}

/**
 * The command context the saved plan was made with: its plan file, `--env` and `--var`s. A
 * secret var was saved as `***` and must be given again with `--var`; any other `--var` on the
 * `apply` command line must agree with the saved one.
 */
function contextFor(ctx: CommandContext, saved: SavedPlan, file: string): CommandContext {
  const given = parseVars(ctx.global.var);
  const vars: Record<string, string> = {};
  const missing: string[] = [];
  const differs: string[] = [];
  for (const [k, v] of Object.entries(saved.overrides)) {
    if (v === redacted) {
      if (given[k] === undefined) missing.push(k);
      else vars[k] = given[k];
    } else vars[k] = v;
  }
  for (const [k, v] of Object.entries(given))
    if (saved.overrides[k] !== redacted && saved.overrides[k] !== v)
      differs.push(`var ${k}: ${JSON.stringify(saved.overrides[k] ?? '(unset)')} → ${JSON.stringify(v)}`);
  if ((ctx.global.env ?? saved.environment) !== saved.environment)
    differs.push(`--env: ${saved.environment ?? '(none)'} → ${ctx.global.env}`);
  if (differs.length > 0)
    throw new InputError(
      `${file}: the command line gives other inputs than the saved plan; nothing was done.\n${differs.map((d) => `    ${d}`).join('\n')}`,
    );
  if (missing.length > 0)
    throw new InputError(
      `${file}: secret var${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not saved in clear: give ${missing.length > 1 ? 'them' : 'it'} again (${missing.map((m) => `--var ${m}=…`).join(' ')})`,
    );
  return {
    ...ctx,
    global: {
      ...ctx.global,
      ...(saved.planFile ? { plan: saved.planFile } : {}),
      ...(saved.environment !== undefined ? { env: saved.environment } : {}),
      var: Object.entries(vars).map(([k, v]) => `${k}=${v}`),
    },
  };
}

/** A secret given now with another value than when the plan was saved (compared by hash). */
function secretDiff(saved: SavedPlan, plan: Plan): string[] {
  if (Object.keys(saved.secretHashes).length === 0) return [];
  return diffInputs(
    {
      planFile: saved.planFile,
      planHash: saved.planHash,
      overrides: {},
      vars: Object.fromEntries(plan.secrets.map((n) => [n, redacted])),
      secretHashes: saved.secretHashes,
      toolVersion: saved.toolVersion,
    },
    { ...plan, vars: Object.fromEntries(plan.secrets.map((n) => [n, plan.vars[n] ?? ''])) },
    saved.toolVersion,
    { planHash: false, toolVersion: false },
  ).filter((l) => l.startsWith('var '));
}
