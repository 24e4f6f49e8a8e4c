import { PlanError } from '../../src/core/errors.js';
import { parsePlanText } from '../../src/plan/load.js';
import { type ResolveOptions, resolvePlan } from '../../src/plan/resolve.js';
import type { Plan } from '../../src/plan/types.js';
import { validatePlanData } from '../../src/plan/validate.js';

/** Loads plan text the way the CLI does (parse → schema → resolve), without a file. */
export function planFromText(text: string, options: ResolveOptions = {}): Plan {
  const source = parsePlanText('plan.yaml', Buffer.from(text));
  const validated = validatePlanData(source);
  if (!validated.ok) throw new PlanError(validated.issues);
  return resolvePlan(source, validated.plan, { processEnv: {}, ...options });
}

/** The issues of an invalid plan (fails the test if the plan is valid). */
export function planIssues(text: string | Buffer, options: ResolveOptions = {}): PlanError['issues'] {
  try {
    const source = parsePlanText('plan.yaml', typeof text === 'string' ? Buffer.from(text) : text);
    const validated = validatePlanData(source);
    if (!validated.ok) return validated.issues;
    resolvePlan(source, validated.plan, { processEnv: {}, ...options });
  } catch (err) {
    if (err instanceof PlanError) return err.issues;
    throw err;
  }
  throw new Error('expected the plan to be invalid');
}

export const minimalPlan = `version: 1
project: acme
path: [0, 3]
vars:
  root: /srv
systems:
  cfg: { path: "\${root}/cfg" }
phases:
  - id: 0
    title: Zero
    backup: [cfg]
    steps:
      - id: s1
        run: [echo, "\${root}"]
  - id: 3
    title: Three
`;
