import type { Colors } from '../ui/output.js';
import { table } from '../ui/output.js';
import { fmt } from './numbers.js';
import { countVerdicts, type GateItem, type GateReport, type Verdict } from './types.js';

/**
 * The table a person reads on stderr: one row per item (verdict, item, measured, threshold,
 * message), then the details of what failed, then one line with the outcome.
 */
export function renderHuman(report: GateReport, c: Colors): string {
  const lines: string[] = [];
  const head = [
    c.bold('gnr-migrate gate'),
    report.project,
    report.phase !== null
      ? `phase ${report.phase}${report.phaseTitle ? ` (${report.phaseTitle})` : ''}`
      : undefined,
    report.standing ?? undefined,
    report.deep ? 'deep' : undefined,
  ].filter(Boolean);
  lines.push(head.join(' · '), '');

  const mark: Record<Verdict, string> = {
    pass: c.green('✓ pass'),
    fail: c.red('✗ fail'),
    warn: c.yellow('! warn'),
    skipped: c.dim('- skip'),
  };
  lines.push(
    table([
      [c.dim('verdict'), c.dim('item'), c.dim('measured'), c.dim('threshold'), c.dim('message')],
      ...report.items.map((i) => [
        mark[i.verdict],
        i.id,
        measured(i),
        i.threshold ?? '',
        i.verdict === 'skipped' ? c.dim(i.message) : i.message,
      ]),
    ]),
  );

  const detailed = report.items.filter((i) => i.verdict === 'fail' && i.details);
  for (const item of detailed) {
    lines.push('', `${c.red('✗')} ${item.id}:`);
    const detail = (item.details ?? '').split('\n');
    for (const line of detail.slice(0, 20)) lines.push(`    ${line}`);
    if (detail.length > 20)
      lines.push(c.dim(`    … ${detail.length - 20} more lines (see --json or --junit)`));
  }
  for (const w of report.warnings) lines.push('', `${c.yellow('warning:')} ${w}`);
  if (report.thresholdsFrom) {
    const seed = (['triggers', 'compare'] as const).filter(
      (k) => report.thresholdsFrom?.[k] === 'seed' && report.items.some((i) => i.group === k),
    );
    if (seed.length)
      lines.push(
        '',
        c.dim(`The plan's gate: section sets no ${seed.join(' and no ')}: the seed's defaults apply.`),
      );
  }
  lines.push('', outcomeLine(report, c));
  return lines.join('\n');
}

export function outcomeLine(report: GateReport, c: Colors): string {
  const counts = countVerdicts(report.items);
  const tally = `${counts.pass} passed, ${counts.fail} failed, ${counts.warn} warning${counts.warn === 1 ? '' : 's'}, ${counts.skipped} skipped`;
  if (report.exitCode === 2) return c.red(`Gate not evaluated: the plan is invalid (exit 2). ${tally}.`);
  if (report.exitCode === 1) {
    const failed = report.items.filter((i) => i.verdict === 'fail').map((i) => i.id);
    const list = failed.length > 4 ? `${failed.slice(0, 4).join(', ')}, …` : failed.join(', ');
    return c.red(`Gate failed: ${counts.fail} of ${report.items.length} items (${list}). ${tally}.`);
  }
  return c.green(`Gate passed. ${tally}.`);
}

function measured(item: GateItem): string {
  if (item.measured === null) return '';
  return typeof item.measured === 'number' ? fmt(item.measured) : item.measured;
}
