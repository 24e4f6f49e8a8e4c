import { appendFile } from 'node:fs/promises';
import { fmt } from './numbers.js';
import { countVerdicts, type GateItem, type GateReport, type Verdict } from './types.js';

/**
 * GitHub Actions (`GITHUB_ACTIONS=true`): workflow-command annotations and a Markdown job
 * summary appended to `$GITHUB_STEP_SUMMARY`.
 *
 * Annotations are `::error` for each failed item and `::warning` for each warning. They go to
 * stdout when stdout carries nothing else (the human table is on stderr), and to stderr with
 * `--json`, where stdout must be exactly one JSON document. The runner reads workflow commands
 * from both streams, so the annotations appear either way.
 */
export function annotations(report: GateReport): string[] {
  const lines: string[] = [];
  for (const item of report.items) {
    if (item.verdict === 'fail') lines.push(command('error', `gate: ${item.id}`, item.message));
    else if (item.verdict === 'warn') lines.push(command('warning', `gate: ${item.id}`, item.message));
  }
  for (const w of report.warnings) lines.push(command('warning', 'gnr-migrate gate', w));
  return lines;
}

function command(kind: 'error' | 'warning', title: string, message: string): string {
  return `::${kind} title=${escapeProperty(title)}::${escapeData(message)}`;
}

/** As the runner unescapes them (actions/toolkit `command.ts`). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const icons: Record<Verdict, string> = { pass: '✅', fail: '❌', warn: '⚠️', skipped: '⏭️' };

export function stepSummary(report: GateReport): string {
  const counts = countVerdicts(report.items);
  const what =
    report.phase === null
      ? 'gnr-migrate gate'
      : `gnr-migrate gate: phase ${report.phase}${report.phaseTitle ? ` (${report.phaseTitle})` : ''}`;
  const verdict =
    report.exitCode === 0
      ? '✅ passed'
      : report.exitCode === 2
        ? '❌ not evaluated: bad input'
        : `❌ failed (${counts.fail} of ${report.items.length} items)`;
  const rows = report.items.map(
    (i) =>
      `| ${icons[i.verdict]} | \`${cell(i.id)}\` | ${i.verdict} | ${cell(measured(i))} | ${cell(i.threshold ?? '')} | ${cell(i.message)} |`,
  );
  const tally = `${counts.pass} passed · ${counts.fail} failed · ${counts.warn} warnings · ${counts.skipped} skipped`;
  const warnings = report.warnings.length
    ? `\n**Warnings**\n\n${report.warnings.map((w) => `- ${w.replace(/\n/g, ' ')}`).join('\n')}\n`
    : '';
  return [
    `### ${what} — ${verdict}`,
    '',
    tally,
    '',
    '| | item | verdict | measured | threshold | message |',
    '|---|---|---|---|---|---|',
    ...rows,
    warnings,
  ].join('\n');
}

export async function appendStepSummary(file: string, report: GateReport): Promise<void> {
  await appendFile(file, `${stepSummary(report)}\n`);
}

function measured(item: GateItem): string {
  if (item.measured === null) return '';
  return typeof item.measured === 'number' ? fmt(item.measured) : item.measured;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
