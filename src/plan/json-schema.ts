import { z } from 'zod';
import { planSchema } from './schema.js';

/** The plan's JSON Schema, generated from the zod schema (never written by hand). */
export function planJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(planSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }),
    $id: 'https://gnr-migrate.invalid/schemas/plan.schema.json',
    title: 'gnr-migrate plan',
  };
}
