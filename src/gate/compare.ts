import type { Compare } from '../plan/schema.js';
import type { MetricsFile } from './metrics.js';
import { atLeast, atMost, fmt, pct } from './numbers.js';
import type { GateItem } from './types.js';

/**
 * The parallel-run verdict (seed §2.2, DESIGN §2 `gate.compare`): the new system is better
 * when its validation success rate is at least the minimum, its throughput change
 * (new / old − 1) is at least the minimum (−0.05 allows a 5 % drop), and its p95 latency change
 * (new / old − 1) is at most the maximum (0.10 allows 10 % slower). One item per rule; all
 * must pass. Bounds are inclusive. Pure: no I/O.
 */
export function evaluateCompare(compare: Compare, metrics: MetricsFile, baseline: MetricsFile): GateItem[] {
  const items: GateItem[] = [];

  const vsr = compare.validation_success_rate?.min;
  if (vsr !== undefined) {
    const base = {
      id: 'compare: validation_success_rate',
      group: 'compare' as const,
      title: `new system's validation success rate at least ${fmt(vsr)}`,
      threshold: `≥ ${fmt(vsr)}`,
    };
    const value = metrics.values.validation_success_rate;
    if (value === undefined) {
      items.push({
        ...base,
        verdict: 'skipped',
        measured: null,
        message: `skipped: validation_success_rate is not in ${metrics.file}`,
      });
    } else {
      const holds = atLeast(value, vsr);
      items.push({
        ...base,
        verdict: holds ? 'pass' : 'fail',
        measured: value,
        message: holds
          ? `validation success rate ${fmt(value)} ≥ ${fmt(vsr)}`
          : `new is not better: validation success rate ${fmt(value)} is below ${fmt(vsr)}`,
      });
    }
  }

  const tc = compare.throughput_change?.min;
  if (tc !== undefined)
    items.push(changeItem('throughput_change', 'throughput', 'min', tc, metrics, baseline));
  const lc = compare.latency_change?.max;
  if (lc !== undefined) items.push(changeItem('latency_change', 'latency_p95', 'max', lc, metrics, baseline));
  return items;
}

function changeItem(
  name: 'throughput_change' | 'latency_change',
  metric: 'throughput' | 'latency_p95',
  rule: 'min' | 'max',
  bound: number,
  metrics: MetricsFile,
  baseline: MetricsFile,
): GateItem {
  const symbol = rule === 'min' ? '≥' : '≤';
  const base = {
    id: `compare: ${name}`,
    group: 'compare' as const,
    title: `${metric} change (new / old − 1) ${rule === 'min' ? 'at least' : 'at most'} ${pct(bound)}`,
    threshold: `${symbol} ${fmt(bound)} (${pct(bound)})`,
  };
  const now = metrics.values[metric];
  const old = baseline.values[metric];
  const skip = (message: string): GateItem => ({
    ...base,
    verdict: 'skipped',
    measured: null,
    message: `skipped: ${message}`,
  });
  if (now === undefined) return skip(`${metric} is not in ${metrics.file}`);
  if (old === undefined) return skip(`${metric} is not in ${baseline.file}`);
  if (old === 0) return skip(`the baseline ${metric} is 0, so a relative change cannot be computed`);

  const change = now / old - 1;
  const holds = rule === 'min' ? atLeast(change, bound) : atMost(change, bound);
  const detail = `${metric} ${fmt(now)} vs ${fmt(old)}: ${pct(change)}`;
  return {
    ...base,
    verdict: holds ? 'pass' : 'fail',
    measured: Number(change.toPrecision(12)),
    message: holds
      ? `${detail} (${symbol} ${pct(bound)})`
      : `new is not better: ${detail}, ${rule === 'min' ? 'below' : 'above'} the allowed ${pct(bound)}`,
  };
}
