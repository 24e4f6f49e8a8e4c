import { hostname } from 'node:os';
import { type JUnitCase, type JUnitSuite, writeJUnit } from '../core/junit.js';
import type { GateItem, GateReport } from './types.js';

/**
 * `gate --junit FILE`: one test case per gate item. `fail` is a `<failure>`, `skipped` a
 * `<skipped>` (so CI shows it apart from a pass), `warn` a pass with the warning in
 * `<system-out>` (JUnit has no "passed with a warning").
 */
export function gateSuite(report: GateReport): JUnitSuite {
  const properties: Record<string, string> = { deep: String(report.deep) };
  if (report.project) properties.project = report.project;
  if (report.planFile) properties.plan = report.planFile;
  if (report.phase !== null) properties.phase = String(report.phase);
  if (report.standing) properties.standing = report.standing;
  return {
    name: report.phase === null ? 'gnr-migrate gate' : `gnr-migrate gate: phase ${report.phase}`,
    timestamp: new Date(report.startedAt),
    hostname: hostname(),
    timeMs: report.durationMs,
    properties,
    cases: report.items.map(gateCase),
  };
}

export function gateCase(item: GateItem): JUnitCase {
  const base: JUnitCase = {
    name: item.id,
    classname: `gnr-migrate.gate.${item.group}`,
    ...(item.durationMs !== undefined ? { timeMs: item.durationMs } : {}),
  };
  if (item.verdict === 'fail') {
    const facts = [
      item.title,
      item.measured !== null ? `measured: ${item.measured}` : undefined,
      item.threshold !== null ? `threshold: ${item.threshold}` : undefined,
      item.details,
    ].filter((s): s is string => Boolean(s));
    return { ...base, failure: { message: item.message, type: item.group, body: facts.join('\n') } };
  }
  if (item.verdict === 'skipped') return { ...base, skipped: { message: item.message } };
  if (item.verdict === 'warn') return { ...base, systemOut: `warning: ${item.message}` };
  return base;
}

export function writeGateJUnit(file: string, report: GateReport): Promise<string> {
  return writeJUnit(file, [gateSuite(report)], 'gnr-migrate gate');
}
