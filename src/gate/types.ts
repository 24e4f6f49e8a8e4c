/**
 * The gate's result model (DESIGN §4 `gate`): an ordered list of items, each one row of the
 * human table, one JUnit test case, one entry of the JSON document.
 */

/**
 * - `pass`: holds.
 * - `fail`: blocks the deploy (exit 1).
 * - `warn`: did not hold but does not block (a `severity: warn` check, plan warnings).
 * - `skipped`: could not be evaluated and says why (no --baseline, a metric missing, a phase
 *   not applied yet); never blocks.
 */
export type Verdict = 'pass' | 'fail' | 'warn' | 'skipped';

export type GateGroup =
  | 'plan'
  | 'ledger'
  | 'lock'
  | 'phase'
  | 'checklist'
  | 'verify'
  | 'backups'
  | 'runbook'
  | 'triggers'
  | 'compare';

export interface GateItem {
  /** Stable and unique in one report: `lock`, `checklist: environment_xml`, `trigger: error_rate max`. */
  id: string;
  group: GateGroup;
  /** What is asserted, in words. */
  title: string;
  verdict: Verdict;
  /** What was found (a number for metrics, else a short text); null when nothing was measured. */
  measured: number | string | null;
  /** What it must be, as a person reads it: `≤ 0.05`, `≥ 0.5 × baseline (60)`. */
  threshold: string | null;
  /** One line a person can act on. */
  message: string;
  durationMs?: number;
  /** Longer text for the JUnit failure body and the JSON document (issues, problems, output tail). */
  details?: string;
}

export interface GateReport {
  ok: boolean;
  /** 0 pass, 1 a blocking item failed, 2 bad input (an invalid plan). */
  exitCode: 0 | 1 | 2;
  project: string | null;
  planFile: string | null;
  /** The phase gated; null when the plan could not be read. */
  phase: number | null;
  phaseTitle: string | null;
  /** applied | current | next | pending | deferred | off-path */
  standing: string | null;
  deep: boolean;
  items: GateItem[];
  /** Where the trigger and comparison thresholds came from: the plan, or the seed's defaults. */
  thresholdsFrom?: { triggers: 'plan' | 'seed'; compare: 'plan' | 'seed' };
  /** Non-blocking notes about the inputs (unknown metric keys, defaults used). */
  warnings: string[];
  startedAt: string;
  durationMs: number;
}

export function countVerdicts(items: readonly GateItem[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { pass: 0, fail: 0, warn: 0, skipped: 0 };
  for (const item of items) counts[item.verdict]++;
  return counts;
}
