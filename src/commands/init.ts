import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { defaultPlanFile } from '../core/version.js';
import type { DetectReport } from '../detect/report.js';
import { planJsonSchema } from '../plan/json-schema.js';
import type { CommandContext } from './context.js';

export const schemaFileName = 'plan.schema.json';
/** The full detection report `init --detect` writes beside the plan: every value's evidence. */
export const detectedFileName = 'detected.json';

interface InitOptions {
  force?: boolean;
  detect?: boolean;
  hostRoot?: string;
}

export async function run(ctx: CommandContext, options: unknown): Promise<number> {
  const { ws, out } = ctx;
  const opts = options as InitOptions;
  const force = Boolean(opts.force);
  if (opts.hostRoot !== undefined && !opts.detect) throw new InputError('--host-root goes with --detect');
  if (existsSync(ws.planFile) && !force) {
    throw new InputError(`${ws.planFile} already exists; use --force to overwrite it with the default plan`);
  }
  const hostRoot = opts.hostRoot ?? ctx.processEnv.GNR_MIGRATE_HOST_ROOT;
  if (hostRoot !== undefined && !existsSync(resolve(hostRoot))) {
    throw new InputError(`--host-root ${hostRoot}: no such folder`);
  }
  const text = await readFile(defaultPlanFile, 'utf8');
  const header = `# yaml-language-server: $schema=./${schemaFileName}\n`;
  let body = text.startsWith('# yaml-language-server:') ? text.slice(text.indexOf('\n') + 1) : text;

  let report: DetectReport | undefined;
  let applied: { set: string[]; added: string[] } | undefined;
  if (opts.detect) {
    // Lazy: only --detect pays for the probes.
    const [{ detectHost }, { linuxProbe }, { applyDetectedVars }] = await Promise.all([
      import('../detect/detect.js'),
      import('../detect/probe-linux.js'),
      import('../detect/plan-vars.js'),
    ]);
    report = await detectHost(linuxProbe(ctx.processEnv, hostRoot ? resolve(hostRoot) : '/'), hostname(), {
      portsToOpen: portsToOpen(body),
    });
    const result = applyDetectedVars(body, report);
    body = result.text;
    applied = { set: result.set, added: result.added };
  }

  await mkdir(ws.migrationDir, { recursive: true });
  await mkdir(ws.backupsDir, { recursive: true });
  const schemaFile = join(ws.migrationDir, schemaFileName);
  await writeFileAtomic(schemaFile, `${JSON.stringify(planJsonSchema(), null, 2)}\n`);
  const detectedFile = join(ws.migrationDir, detectedFileName);
  if (report) await writeFileAtomic(detectedFile, `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(ws.planFile, header + body);
  if (out.json) {
    out.data({
      plan: ws.planFile,
      schema: schemaFile,
      overwritten: force,
      ...(report ? { detected: detectedFile, ...applied, report } : {}),
    });
    return 0;
  }
  const shown = relative(process.cwd(), ws.planFile) || ws.planFile;
  if (report && applied) {
    out.say(
      out.c.bold(`Detected on ${report.host}${report.root !== '/' ? ` (files under ${report.root})` : ''}:`),
    );
    const width = Math.max(...report.found.map((f) => f.name.length), 8);
    for (const f of report.found) {
      out.say(`  ${out.c.green('✓')} ${f.name.padEnd(width)} ${String(f.value)}`);
      out.say(`    ${' '.repeat(width)} ${out.c.dim(`← ${f.source}`)}`);
    }
    if (report.missing.length) {
      out.say(out.c.bold('Not detected (the plan keeps its default; set these by hand or with --var):'));
      for (const g of report.missing) out.say(`  ${out.c.yellow('✗')} ${g.name.padEnd(width)} ${g.reason}`);
    }
    if (report.notes.length) {
      out.say(out.c.bold('Notes:'));
      for (const n of report.notes) out.say(`  • ${n}`);
    }
    out.say(
      `${out.c.green('✓')} wrote ${shown} (${applied.set.length} vars set${applied.added.length ? `, ${applied.added.length} added` : ''}), ${schemaFileName} and ${detectedFileName}`,
    );
    out.say('  Next: review the vars marked "detected" / "NOT DETECTED", then');
  } else {
    out.say(`${out.c.green('✓')} wrote ${shown} and ${schemaFileName}`);
    out.say(
      '  Next: set vars (instance, site, projects, gnrcfg, ports) for this host, or run init --detect --force on it, then',
    );
  }
  out.say('  gnr-migrate plan validate && gnr-migrate phase 0 --dry-run');
  return 0;
}

/**
 * The plan's `*_port` vars with a literal number (ports it will open: the ASGI server, …) and
 * the host they are on (`<prefix>_host` when literal, else 127.0.0.1).
 */
function portsToOpen(planText: string): Record<string, { host: string; port: number }> {
  const vars = (parse(planText) as { vars?: Record<string, unknown> } | null)?.vars ?? {};
  const out: Record<string, { host: string; port: number }> = {};
  for (const [name, value] of Object.entries(vars)) {
    if (!name.endsWith('_port') || typeof value !== 'number') continue;
    const host = vars[`${name.slice(0, -5)}_host`];
    out[name] = { host: typeof host === 'string' && !host.includes('${') ? host : '127.0.0.1', port: value };
  }
  return out;
}
