import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root (holding package.json, dist/ and migration/plan.yaml). */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

let cached: string | undefined;
export function toolVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    cached = pkg.version;
  }
  return cached;
}

export const defaultPlanFile = fileURLToPath(new URL('../../migration/plan.yaml', import.meta.url));
