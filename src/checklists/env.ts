import type { Check } from '../plan/types.js';
import type { ChecklistContext } from './types.js';
import { compile, error, fail, oneLine, pass, type Verdict } from './verdict.js';

type EnvCheck = Extract<Check, { kind: 'env' }>;

/**
 * `env: NAME` with `equals`, `matches` or `unset: true`; none of them: the variable must be
 * set. Reads the environment gnr-migrate runs in, which is what its steps inherit.
 */
export async function evaluateEnv(check: EnvCheck, ctx: ChecklistContext): Promise<Verdict> {
  const value = ctx.processEnv[check.name];
  const where = `env ${check.name}`;
  // Values may be secrets: show them only shortened.
  const shown = (v: string) => JSON.stringify(oneLine(v, 40));
  if (check.unset)
    return value === undefined
      ? pass(`${where}: unset`)
      : fail(`${where}: is set (${shown(value)}), expected unset`);
  if (value === undefined) return fail(`${where}: not set — export it in the deploy environment`);
  if (check.equals !== undefined && value !== check.equals)
    return fail(`${where}: is ${shown(value)}, expected ${JSON.stringify(check.equals)}`);
  if (check.matches !== undefined) {
    const re = compile(check.matches);
    if (typeof re === 'string') return error(`${where}: ${re}`);
    if (!re.test(value)) return fail(`${where}: is ${shown(value)}, expected to match /${check.matches}/`);
  }
  return pass(
    check.equals !== undefined
      ? `${where}: is ${JSON.stringify(check.equals)}`
      : check.matches !== undefined
        ? `${where}: matches /${check.matches}/`
        : `${where}: set`,
  );
}
