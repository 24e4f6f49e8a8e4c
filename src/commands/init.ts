import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { defaultPlanFile } from '../core/version.js';
import { planJsonSchema } from '../plan/json-schema.js';
import type { CommandContext } from './context.js';

export const schemaFileName = 'plan.schema.json';

export async function run(ctx: CommandContext, options: unknown): Promise<number> {
  const { ws, out } = ctx;
  const force = Boolean((options as { force?: boolean }).force);
  if (existsSync(ws.planFile) && !force) {
    throw new InputError(`${ws.planFile} already exists; use --force to overwrite it with the default plan`);
  }
  await mkdir(ws.migrationDir, { recursive: true });
  await mkdir(ws.backupsDir, { recursive: true });
  const text = await readFile(defaultPlanFile, 'utf8');
  const header = `# yaml-language-server: $schema=./${schemaFileName}\n`;
  const body = text.startsWith('# yaml-language-server:') ? text.slice(text.indexOf('\n') + 1) : text;
  const schemaFile = join(ws.migrationDir, schemaFileName);
  await writeFileAtomic(schemaFile, `${JSON.stringify(planJsonSchema(), null, 2)}\n`);
  await writeFileAtomic(ws.planFile, header + body);
  if (out.json) {
    out.data({ plan: ws.planFile, schema: schemaFile, overwritten: force });
  } else {
    out.say(
      `${out.c.green('✓')} wrote ${relative(process.cwd(), ws.planFile) || ws.planFile} and ${schemaFileName}`,
    );
    out.say('  Next: set vars (instance, site, projects, gnrcfg, ports) for this host, then');
    out.say('  gnr-migrate plan validate && gnr-migrate phase 0 --dry-run');
  }
  return 0;
}
