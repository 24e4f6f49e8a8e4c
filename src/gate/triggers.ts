import type { Triggers } from '../plan/schema.js';
import type { MetricName, MetricsFile } from './metrics.js';
import { atLeast, atMost, fmt } from './numbers.js';
import type { GateItem } from './types.js';

/**
 * The automatic rollback triggers (DESIGN §2 `gate.triggers`, seed §4.1) evaluated on the new
 * system's metrics: an item fails when its trigger fires. Bounds are inclusive, as in the
 * seed (`error_rate > 0.05` fires; exactly 0.05 does not). Pure: no I/O.
 */

type Rule = 'min' | 'max' | 'max_ratio_to_baseline' | 'min_ratio_to_baseline';

/** The order of the items: the seed's list, each metric's absolute bound before its ratio. */
const order: { metric: MetricName; rule: Rule }[] = [
  { metric: 'validation_success_rate', rule: 'min' },
  { metric: 'error_rate', rule: 'max' },
  { metric: 'latency_p95', rule: 'max' },
  { metric: 'latency_p95', rule: 'max_ratio_to_baseline' },
  { metric: 'throughput', rule: 'min' },
  { metric: 'throughput', rule: 'min_ratio_to_baseline' },
  { metric: 'health_check_failures', rule: 'max' },
];

export function evaluateTriggers(
  triggers: Triggers,
  metrics: MetricsFile,
  baseline?: MetricsFile,
): GateItem[] {
  const items: GateItem[] = [];
  for (const { metric, rule } of order) {
    const bound = (triggers[metric] as Partial<Record<Rule, number>> | undefined)?.[rule];
    if (bound === undefined) continue;
    items.push(evaluateRule(metric, rule, bound, metrics, baseline));
  }
  return items;
}

function evaluateRule(
  metric: MetricName,
  rule: Rule,
  bound: number,
  metrics: MetricsFile,
  baseline: MetricsFile | undefined,
): GateItem {
  const isMin = rule === 'min' || rule === 'min_ratio_to_baseline';
  const isRatio = rule.endsWith('_to_baseline');
  const word = isMin ? 'at least' : 'at most';
  const base = {
    id: `trigger: ${metric}.${rule}`,
    group: 'triggers' as const,
    title: `${metric} ${word} ${isRatio ? `${fmt(bound)} × baseline` : fmt(bound)} (rollback trigger)`,
  };
  const symbol = isMin ? '≥' : '≤';
  const value = metrics.values[metric];

  let limit = bound;
  let threshold = `${symbol} ${fmt(bound)}`;
  let limitText = fmt(bound);
  if (isRatio) {
    if (!baseline) {
      return skipped(
        base,
        value ?? null,
        `${symbol} ${fmt(bound)} × baseline`,
        `needs --baseline (the old system's ${metric})`,
      );
    }
    const old = baseline.values[metric];
    if (old === undefined)
      return skipped(
        base,
        value ?? null,
        `${symbol} ${fmt(bound)} × baseline`,
        `${metric} is not in ${baseline.file}`,
      );
    limit = bound * old;
    threshold = `${symbol} ${fmt(bound)} × ${fmt(old)} = ${fmt(limit)}`;
    limitText = `${fmt(bound)} × baseline ${fmt(old)} = ${fmt(limit)}`;
  }
  if (value === undefined) return skipped(base, null, threshold, `${metric} is not in ${metrics.file}`);

  const holds = isMin ? atLeast(value, limit) : atMost(value, limit);
  return {
    ...base,
    verdict: holds ? 'pass' : 'fail',
    measured: value,
    threshold,
    message: holds
      ? `${metric} ${fmt(value)} ${symbol} ${limitText}`
      : `rollback trigger fires: ${metric} ${fmt(value)} is ${isMin ? 'below' : 'above'} ${limitText}`,
  };
}

function skipped(
  base: Pick<GateItem, 'id' | 'group' | 'title'>,
  measured: number | null,
  threshold: string,
  message: string,
): GateItem {
  return { ...base, verdict: 'skipped', measured, threshold, message: `skipped: ${message}` };
}
