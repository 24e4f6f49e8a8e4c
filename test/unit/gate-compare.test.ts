import { describe, expect, it } from 'vitest';
import { evaluateCompare } from '../../src/gate/compare.js';
import { effectiveGate, seedCompare, seedTriggers } from '../../src/gate/defaults.js';
import type { Metrics, MetricsFile } from '../../src/gate/metrics.js';
import { metricNames } from '../../src/gate/metrics.js';

function file(values: Metrics, name: string): MetricsFile {
  return {
    file: name,
    format: 'json',
    values,
    missing: metricNames.filter((m) => values[m] === undefined),
    warnings: [],
  };
}
const old = file({ throughput: 100, latency_p95: 100 }, 'old.json');
const good: Metrics = { validation_success_rate: 0.9, throughput: 100, latency_p95: 100 };

function item(values: Metrics, id: string, base = old) {
  const found = evaluateCompare(seedCompare, file({ ...good, ...values }, 'new.json'), base).find(
    (i) => i.id === id,
  );
  expect(found, id).toBeDefined();
  return found!;
}

describe('parallel-run comparison: new is better', () => {
  it('passes every rule on an equal new system', () => {
    const items = evaluateCompare(seedCompare, file(good, 'new.json'), old);
    expect(items.map((i) => [i.id, i.verdict])).toEqual([
      ['compare: validation_success_rate', 'pass'],
      ['compare: throughput_change', 'pass'],
      ['compare: latency_change', 'pass'],
    ]);
  });

  // At the bound, just inside, just past. 95/100 − 1 is −0.05000000000000004 in floating point:
  // exactly 5 % down must still meet "−5 % allowed".
  it.each([
    ['compare: validation_success_rate', { validation_success_rate: 0.8 }, 'pass'],
    ['compare: validation_success_rate', { validation_success_rate: 0.81 }, 'pass'],
    ['compare: validation_success_rate', { validation_success_rate: 0.79 }, 'fail'],
    ['compare: throughput_change', { throughput: 95 }, 'pass'],
    ['compare: throughput_change', { throughput: 95.1 }, 'pass'],
    ['compare: throughput_change', { throughput: 94.9 }, 'fail'],
    ['compare: latency_change', { latency_p95: 110 }, 'pass'],
    ['compare: latency_change', { latency_p95: 109.9 }, 'pass'],
    ['compare: latency_change', { latency_p95: 110.1 }, 'fail'],
  ] as const)('%s with %j: %s', (id, values, verdict) => {
    const found = item(values, id);
    expect(found.verdict).toBe(verdict);
    if (verdict === 'fail') expect(found.message).toMatch(/^new is not better: /);
  });

  it('reports the change as measured and as a percentage', () => {
    const t = item({ throughput: 90 }, 'compare: throughput_change');
    expect(t.measured).toBeCloseTo(-0.1, 12);
    expect(t.threshold).toBe('≥ -0.05 (−5 %)');
    expect(t.message).toBe('new is not better: throughput 90 vs 100: −10 %, below the allowed −5 %');
    const l = item({ latency_p95: 80 }, 'compare: latency_change');
    expect(l.verdict).toBe('pass');
    expect(l.message).toBe('latency_p95 80 vs 100: −20 % (≤ +10 %)');
  });

  it('skips a rule whose metric is missing on either side, or whose baseline is 0', () => {
    expect(item({ validation_success_rate: undefined }, 'compare: validation_success_rate').verdict).toBe(
      'skipped',
    );
    const noOld = item({}, 'compare: latency_change', file({ throughput: 100 }, 'old.json'));
    expect(noOld.message).toBe('skipped: latency_p95 is not in old.json');
    const zero = item(
      {},
      'compare: throughput_change',
      file({ throughput: 0, latency_p95: 100 }, 'old.json'),
    );
    expect(zero.verdict).toBe('skipped');
    expect(zero.message).toContain('is 0');
  });

  it('uses the plan thresholds when set (with --env already merged), else the seed', () => {
    const plan = effectiveGate({ triggers: { error_rate: { max: 0.01 } }, compare: {} });
    expect(plan.triggers).toEqual({ error_rate: { max: 0.01 } });
    expect(plan.compare).toEqual(seedCompare);
    expect(plan.source).toEqual({ triggers: 'plan', compare: 'seed' });
    const none = effectiveGate({ triggers: {}, compare: {} });
    expect(none.triggers).toEqual(seedTriggers);
    const strict = evaluateCompare(
      { throughput_change: { min: 0 } },
      file({ throughput: 99 }, 'new.json'),
      old,
    );
    expect(strict.map((i) => [i.id, i.verdict])).toEqual([['compare: throughput_change', 'fail']]);
  });
});
