import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planJsonSchema } from '../../src/plan/json-schema.js';
import { repoRoot } from '../helpers/cli.js';

/** Every key a property of an object schema, with its path, wherever it is nested. */
function properties(node: unknown, path = '', out: { path: string; schema: Record<string, unknown> }[] = []) {
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) properties(n, `${path}[${i}]`, out);
  } else if (node && typeof node === 'object') {
    const props = (node as { properties?: Record<string, Record<string, unknown>> }).properties;
    for (const [key, schema] of Object.entries(props ?? {})) out.push({ path: `${path}.${key}`, schema });
    for (const [key, child] of Object.entries(node)) properties(child, `${path}/${key}`, out);
  }
  return out;
}

describe('the plan JSON Schema (plan schema, editors)', () => {
  const schema = planJsonSchema();

  it('describes every key, so an editor shows what it means on hover', () => {
    const all = properties(schema);
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((p) => typeof p.schema.description !== 'string').map((p) => p.path)).toEqual([]);
  });

  it('compiles in Ajv strict mode and accepts the default plan', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(schema);
    const plan = parse(readFileSync(join(repoRoot, 'migration', 'plan.yaml'), 'utf8'));
    expect(validate(plan), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(validate({ ...plan, typo_key: 1 })).toBe(false);
  });
});
