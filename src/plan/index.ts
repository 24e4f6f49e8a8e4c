import { existsSync } from 'node:fs';
import { PlanError } from '../core/errors.js';
import { defaultPlanFile } from '../core/version.js';
import type { Workspace } from '../core/workspace.js';
import { readPlanCache, writePlanCache } from './cache.js';
import { deferredSource, hashPlanBytes, type PlanSource, parsePlanText, readPlanBytes } from './load.js';
import { resolvePlan } from './resolve.js';
import type { PlanInput } from './schema.js';
import type { Plan } from './types.js';
import { validatePlanData } from './validate.js';

export interface LoadPlanOptions {
  workspace: Workspace;
  /** `--plan FILE`; otherwise the workspace's plan, otherwise the embedded default plan. */
  planFile?: string;
  environment?: string;
  vars?: Record<string, string>;
  processEnv?: NodeJS.ProcessEnv;
}

/** Which plan file a command uses, and whether it is the embedded default. */
export function planFileFor(options: Pick<LoadPlanOptions, 'workspace' | 'planFile'>): {
  file: string;
  isDefault: boolean;
} {
  if (options.planFile) return { file: options.planFile, isDefault: false };
  if (existsSync(options.workspace.planFile)) return { file: options.workspace.planFile, isDefault: false };
  return { file: defaultPlanFile, isDefault: true };
}

/** read → YAML → schema → normalise and cross-check. Throws PlanError (exit 2) with every issue. */
export async function loadPlan(options: LoadPlanOptions): Promise<Plan> {
  const { file, isDefault } = planFileFor(options);
  const env = options.processEnv ?? process.env;
  const bytes = await readPlanBytes(file);
  const hash = hashPlanBytes(bytes);
  const cached = readPlanCache(env, hash);
  let source: PlanSource;
  let input: PlanInput;
  if (cached) {
    source = deferredSource(file, bytes, hash, cached);
    input = cached;
  } else {
    source = parsePlanText(file, bytes);
    const validated = validatePlanData(source);
    if (!validated.ok) throw new PlanError(validated.issues);
    input = validated.plan;
    await writePlanCache(env, hash, input);
  }
  return resolvePlan(source, input, {
    ...(options.environment !== undefined ? { environment: options.environment } : {}),
    ...(options.vars ? { vars: options.vars } : {}),
    ...(options.processEnv ? { processEnv: options.processEnv } : {}),
    isDefault,
  });
}

export type { Check, Command, Phase, Plan, Step, System } from './types.js';
