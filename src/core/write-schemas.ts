import { mkdir, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { manifestJsonSchema } from '../backup/manifest.js';
import { failureRecordSchema } from '../ledger/failure.js';
import { stateSchema } from '../ledger/schema.js';
import { savedPlanJsonSchema } from '../phases/saved-plan.js';
import { planJsonSchema } from '../plan/json-schema.js';

/**
 * Build step: writes the JSON Schemas shipped in the package (dist/schemas/), generated from
 * the zod schemas. Other data shapes (backup manifest, failure record) register here too.
 */
export const shippedSchemas: Record<string, () => unknown> = {
  'manifest.schema.json': manifestJsonSchema,
  'plan.schema.json': planJsonSchema,
  'state.schema.json': () => z.toJSONSchema(stateSchema, { target: 'draft-2020-12', io: 'input' }),
  'failure.schema.json': () => z.toJSONSchema(failureRecordSchema, { target: 'draft-2020-12', io: 'input' }),
  'run-plan.schema.json': savedPlanJsonSchema,
};

const out = new URL('../schemas/', import.meta.url);
await mkdir(out, { recursive: true });
for (const [name, make] of Object.entries(shippedSchemas)) {
  await writeFile(new URL(name, out), `${JSON.stringify(make(), null, 2)}\n`);
}
