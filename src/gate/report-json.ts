import { countVerdicts, type GateReport } from './types.js';

/** The `--json` document: the report as is, plus the counts a pipeline filters on. */
export function gateDocument(report: GateReport): Record<string, unknown> {
  return {
    ok: report.ok,
    exitCode: report.exitCode,
    project: report.project,
    plan: report.planFile,
    phase: report.phase,
    phaseTitle: report.phaseTitle,
    standing: report.standing,
    deep: report.deep,
    counts: countVerdicts(report.items),
    // Keys in one order for every item, so a diff of two reports reads well.
    items: report.items.map((i) => ({
      id: i.id,
      group: i.group,
      title: i.title,
      verdict: i.verdict,
      measured: i.measured,
      threshold: i.threshold,
      message: i.message,
      ...(i.durationMs !== undefined ? { durationMs: Math.round(i.durationMs) } : {}),
      ...(i.details !== undefined ? { details: i.details } : {}),
    })),
    warnings: report.warnings,
    ...(report.thresholdsFrom ? { thresholdsFrom: report.thresholdsFrom } : {}),
    startedAt: report.startedAt,
    durationMs: Math.round(report.durationMs),
  };
}
