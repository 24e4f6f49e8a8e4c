import { planJsonSchema } from '../plan/json-schema.js';
import type { CommandContext } from './context.js';

export async function run(ctx: CommandContext): Promise<number> {
  ctx.out.raw(`${JSON.stringify(planJsonSchema(), null, 2)}\n`);
  return 0;
}
