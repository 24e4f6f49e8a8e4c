import { resolve } from 'node:path';
import { PlanError } from '../core/errors.js';
import { loadPlan, planFileFor } from '../plan/index.js';
import { type CommandContext, parseVars } from './context.js';

export async function run(ctx: CommandContext, file?: unknown): Promise<number> {
  const { out } = ctx;
  const planFile =
    typeof file === 'string' ? resolve(file) : ctx.global.plan ? resolve(ctx.global.plan) : undefined;
  const chosen = planFileFor({ workspace: ctx.ws, ...(planFile ? { planFile } : {}) });
  try {
    const plan = await loadPlan({
      workspace: ctx.ws,
      planFile: chosen.file,
      ...(ctx.global.env !== undefined ? { environment: ctx.global.env } : {}),
      vars: parseVars(ctx.global.var),
      processEnv: ctx.processEnv,
    });
    for (const w of plan.warnings) out.warn(w);
    if (out.json)
      out.data({
        ok: true,
        file: chosen.file,
        phases: plan.phases.length,
        warnings: plan.warnings,
        issues: [],
      });
    else
      out.say(
        `${out.c.green('✓')} ${chosen.file}: valid (${plan.phases.length} phases, path ${plan.path.join(' → ')})`,
      );
    return 0;
  } catch (err) {
    if (err instanceof PlanError && out.json) {
      out.data({ ok: false, file: chosen.file, issues: err.issues });
      out.error(err.message);
      return err.exitCode;
    }
    throw err;
  }
}
