import { relative } from 'node:path';
import { plural, renderChecklistTable, summaryLine } from '../checklists/report-human.js';
import { summarize } from '../checklists/runner.js';
import { formatBytes, formatDuration } from '../core/clock.js';
import { firstLine, type Output, table } from '../ui/output.js';
import type { CommandView, DryRunReport, StepView } from './dry-run.js';

/** The human form of a dry-run report (stderr). The JSON form is the report itself. */
export function renderDryRun(
  out: Output,
  report: DryRunReport,
  root: string,
  options: { checklistShown?: boolean } = {},
): void {
  const { c } = out;
  const rel = (p: string) => {
    const r = relative(root, p);
    return r && !r.startsWith('..') ? r : p;
  };
  const section = (title: string) => {
    out.say();
    out.say(c.bold(title));
  };
  const { phase } = report;

  out.say();
  out.say(c.bold(`Dry run of phase ${phase.id} · ${phase.title} — nothing was changed`));
  out.say(
    c.dim(
      `  project ${report.project} · plan ${report.planIsDefault ? 'embedded default' : rel(report.plan)} · current phase: ${report.current ?? 'none'}`,
    ),
  );
  if (phase.summary) out.say(c.dim(`  ${phase.summary}`));

  section('Order');
  out.say(
    report.order.ok
      ? `  ${c.green('✓')} phase ${phase.id} may run now${report.order.note ? ` (${report.order.note})` : ''}`
      : `  ${c.red('✗')} ${report.order.reason}`,
  );
  if (report.workspace.lock)
    out.say(`  lock: ${report.workspace.lock.state}, held by ${report.workspace.lock.holder}`);
  for (const r of report.workspace.interrupted)
    out.say(`  ${c.red('✗')} run ${r.id} (${r.kind} ${r.phase ?? ''}) is not settled`);

  section(`Checklist (${plural(report.checklist.results.length, 'check')}, run for real; nothing logged)`);
  // Each check is reported once: the live view already drew them on a terminal.
  if (!options.checklistShown) out.say(renderChecklistTable(report.checklist.results, c));
  out.say(`  ${summaryLine(summarize(report.checklist.results), c)}`);

  section(`Backups it would make (${report.backups.length})`);
  if (report.backups.length === 0) out.say('  none: this phase backs up no systems');
  else
    out.say(
      table(
        report.backups.map((b) =>
          'error' in b
            ? [b.system, b.source, c.red(`cannot size: ${b.error}`), '']
            : [
                b.system,
                b.source,
                b.exists
                  ? `${plural(b.files, 'file')}, ${formatBytes(b.bytes)}`
                  : c.yellow('does not exist (nothing to copy)'),
                c.dim(`→ ${rel(b.destination)}`),
              ],
        ),
      ),
    );

  section('Rollback runbook');
  out.say(
    `  ${rel(report.runbook.path)} ${c.dim(report.runbook.exists ? '(would be rewritten)' : '(would be written)')}`,
  );
  if (report.runbook.preview)
    out.say(
      c.dim(
        `  ${report.runbook.preview.split('\n').length} lines; the full text is in --json (.runbook.preview)`,
      ),
    );

  section(`Steps, in order (${report.steps.length})`);
  if (report.steps.length === 0) out.say('  none');
  for (const [i, s] of report.steps.entries()) sayStep(out, `${i + 1}.`, s);

  const to = report.rollback.to;
  section(`Rollback, to ${to === null ? 'nothing applied' : `phase ${to}`}`);
  out.say('  the undo of each completed step, newest first, then:');
  if (report.rollback.steps.length === 0) out.say('  no rollback steps');
  for (const [i, s] of report.rollback.steps.entries()) sayStep(out, `r${i + 1}.`, s);
  out.say(`  restore: ${report.rollback.restore.join(', ') || 'nothing'}`);
  if (report.rollback.notes) out.say(c.dim(`  notes: ${report.rollback.notes}`));

  section(`Verify after the steps (${report.verify.length})`);
  if (report.verify.length === 0) out.say('  none');
  for (const v of report.verify)
    out.say(`  - ${v.id}: ${firstLine(v.what, c)}${v.severity === 'warn' ? c.dim(' (warn only)') : ''}`);

  section('Result');
  if (report.wouldProceed) {
    out.say(`  ${c.green('Would proceed.')} Apply it with \`gnr-migrate phase ${phase.id}\`.`);
    const pending = report.checklist.pending;
    if (pending.length) out.say(c.dim(`  Decided during the run: ${pending.join(', ')}.`));
  } else {
    out.say(`  ${c.red('Blocked')} — phase ${phase.id} would not start:`);
    for (const b of report.blockedBy) out.say(`  - ${b}`);
  }
}

function sayStep(out: Output, n: string, s: StepView): void {
  const { c } = out;
  out.say(`  ${n} ${s.id}${s.title !== s.id ? ` — ${s.title}` : ''}`);
  out.say(`     $ ${firstLine(s.commandLine, c)}`);
  const details = detailsOf(s);
  if (details) out.say(c.dim(`     ${details}`));
  if (s.undo)
    out.say(
      `     undo: $ ${firstLine(s.undo.commandLine, c)}${detailsOf(s.undo) ? c.dim(` (${detailsOf(s.undo)})`) : ''}`,
    );
}

function detailsOf(cmd: CommandView): string {
  const env = Object.entries(cmd.env).map(([k, v]) => `${k}=${v}`);
  return [
    cmd.kind === 'shell' ? 'through /bin/sh' : '',
    cmd.cwd ? `cwd ${cmd.cwd}` : '',
    env.length ? `env ${env.join(' ')}` : '',
    `timeout ${formatDuration(cmd.timeoutMs)}`,
  ]
    .filter(Boolean)
    .join(' · ');
}
