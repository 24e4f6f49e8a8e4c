import { z } from 'zod';
import { planSchema } from './schema.js';
import { documentPlanSchema } from './schema-docs.js';

/**
 * The plan's JSON Schema, generated from the zod schema (never written by hand), with a
 * description on every key (schema-docs.ts), and valid in Ajv's strict mode.
 */
export function planJsonSchema(): Record<string, unknown> {
  documentPlanSchema();
  const schema = z.toJSONSchema(planSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return {
    ...(strictTypes(schema) as Record<string, unknown>),
    $id: 'https://gnr-migrate.invalid/schemas/plan.schema.json',
    title: 'gnr-migrate plan',
    description:
      'A gnr-migrate plan (migration/plan.yaml): the phases of a Genropy migration with their checklists, backups, steps, verify checks and rollback.',
  };
}

/**
 * `type: ["string", "number"]` becomes `anyOf` of single types: Ajv's strict mode (which many
 * editors and CI validators use) refuses union types, and both mean the same.
 */
function strictTypes(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictTypes);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = strictTypes(v);
  if (Array.isArray(out.type)) {
    const types = out.type as string[];
    delete out.type;
    out.anyOf = types.map((type) => ({ type }));
  }
  return out;
}
