import { phasesInPathOrder } from '../phases/path.js';
import { commandLine } from '../plan/types.js';
import { firstLine } from '../ui/output.js';
import { type CommandContext, planFor } from './context.js';

export async function run(ctx: CommandContext, options: { verbose?: boolean } = {}): Promise<number> {
  const { out } = ctx;
  // Multi-line snippets (Python helpers in vars, shell scripts) show whole only when asked.
  const show = (text: string) => (options.verbose ? text : firstLine(text, out.c));
  const plan = await planFor(ctx);
  for (const w of plan.warnings) out.warn(w);
  if (out.json) {
    out.data(plan);
    return 0;
  }
  const { c } = out;
  out.say(
    `${c.bold(plan.project)} · ${plan.isDefault ? 'embedded default plan' : plan.file}${plan.environment ? ` · env ${plan.environment}` : ''}`,
  );
  out.say(`path: ${plan.path.join(' → ')}`);
  out.say();
  out.say(c.bold('vars'));
  for (const [k, v] of Object.entries(plan.vars)) {
    // Helper scripts kept in vars span lines: indent them under their name.
    if (v.includes('\n') && options.verbose) out.say(`  ${k} = |\n${v.trimEnd().replace(/^/gm, '      ')}`);
    else if (v.includes('\n')) out.say(`  ${k} = ${show(v)}`);
    else out.say(`  ${k} = ${v}`);
  }
  out.say();
  out.say(c.bold('systems'));
  for (const s of Object.values(plan.systems)) {
    out.say(`  ${s.name}: ${s.path}${s.exclude.length ? c.dim(`  (exclude ${s.exclude.join(', ')})`) : ''}`);
  }
  for (const p of phasesInPathOrder(plan)) {
    out.say();
    out.say(
      `${c.bold(`phase ${p.id}`)} — ${p.title}${p.deferred ? c.dim(' (deferred)') : ''}` +
        c.dim(`  gnrdaemon ${p.gnrdaemon ?? '-'}, pages ${p.pages ?? '-'}`),
    );
    if (p.summary) out.say(`  ${p.summary}`);
    if (p.deferred) continue;
    out.say(`  backup: ${p.backup.join(', ') || '(none)'}`);
    out.say(`  checks: ${p.checks.map((x) => x.id).join(', ') || '(none)'}`);
    for (const s of p.steps) out.say(`  step ${s.id}: ${c.cyan(show(commandLine(s)))}`);
    out.say(`  verify: ${p.verify.map((x) => x.id).join(', ') || '(none)'}`);
    out.say(
      `  rollback to ${p.rollback.to ?? 'the start (nothing applied)'}; restores ${p.rollback.restore.join(', ') || 'nothing'}`,
    );
  }
  return 0;
}
