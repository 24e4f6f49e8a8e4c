import { describe, expect, it } from 'vitest';
import { seedTriggers } from '../../src/gate/defaults.js';
import type { Metrics, MetricsFile } from '../../src/gate/metrics.js';
import { metricNames } from '../../src/gate/metrics.js';
import { evaluateTriggers } from '../../src/gate/triggers.js';

function file(values: Metrics, name = 'new.json'): MetricsFile {
  return {
    file: name,
    format: 'json',
    values,
    missing: metricNames.filter((m) => values[m] === undefined),
    warnings: [],
  };
}

const healthy: Metrics = {
  validation_success_rate: 0.95,
  error_rate: 0.01,
  latency_p95: 100,
  throughput: 1000,
  health_check_failures: 0,
};
const baseline = file({ latency_p95: 100, throughput: 1000 }, 'old.json');

function verdictOf(values: Metrics, id: string, base: MetricsFile | undefined = baseline) {
  const item = evaluateTriggers(seedTriggers, file(values), base).find((i) => i.id === id);
  expect(item, id).toBeDefined();
  return item!;
}

describe('rollback triggers (seed defaults)', () => {
  it('all hold on healthy metrics, in the seed order', () => {
    const items = evaluateTriggers(seedTriggers, file(healthy), baseline);
    expect(items.map((i) => [i.id, i.verdict])).toEqual([
      ['trigger: validation_success_rate.min', 'pass'],
      ['trigger: error_rate.max', 'pass'],
      ['trigger: latency_p95.max_ratio_to_baseline', 'pass'],
      ['trigger: throughput.min_ratio_to_baseline', 'pass'],
      ['trigger: health_check_failures.max', 'pass'],
    ]);
  });

  // Each trigger at, just inside and just past its bound; bounds are inclusive as in the seed.
  it.each([
    ['trigger: validation_success_rate.min', { validation_success_rate: 0.7 }, 'pass'],
    ['trigger: validation_success_rate.min', { validation_success_rate: 0.7001 }, 'pass'],
    ['trigger: validation_success_rate.min', { validation_success_rate: 0.6999 }, 'fail'],
    ['trigger: error_rate.max', { error_rate: 0.05 }, 'pass'],
    ['trigger: error_rate.max', { error_rate: 0.0499 }, 'pass'],
    ['trigger: error_rate.max', { error_rate: 0.0501 }, 'fail'],
    ['trigger: latency_p95.max_ratio_to_baseline', { latency_p95: 200 }, 'pass'],
    ['trigger: latency_p95.max_ratio_to_baseline', { latency_p95: 199.9 }, 'pass'],
    ['trigger: latency_p95.max_ratio_to_baseline', { latency_p95: 200.1 }, 'fail'],
    ['trigger: throughput.min_ratio_to_baseline', { throughput: 500 }, 'pass'],
    ['trigger: throughput.min_ratio_to_baseline', { throughput: 500.1 }, 'pass'],
    ['trigger: throughput.min_ratio_to_baseline', { throughput: 499.9 }, 'fail'],
    ['trigger: health_check_failures.max', { health_check_failures: 3 }, 'pass'],
    ['trigger: health_check_failures.max', { health_check_failures: 2 }, 'pass'],
    ['trigger: health_check_failures.max', { health_check_failures: 4 }, 'fail'],
  ] as const)('%s with %j: %s', (id, values, verdict) => {
    const item = verdictOf({ ...healthy, ...values }, id);
    expect(item.verdict).toBe(verdict);
    if (verdict === 'fail') expect(item.message).toMatch(/^rollback trigger fires: /);
  });

  it('states measured value and threshold', () => {
    const err = verdictOf({ ...healthy, error_rate: 0.07 }, 'trigger: error_rate.max');
    expect(err).toMatchObject({ measured: 0.07, threshold: '≤ 0.05' });
    expect(err.message).toBe('rollback trigger fires: error_rate 0.07 is above 0.05');
    const lat = verdictOf({ ...healthy, latency_p95: 250 }, 'trigger: latency_p95.max_ratio_to_baseline');
    expect(lat).toMatchObject({ measured: 250, threshold: '≤ 2 × 100 = 200' });
  });

  it('skips ratio triggers without --baseline, saying so', () => {
    const items = evaluateTriggers(seedTriggers, file(healthy));
    const ratios = items.filter((i) => i.id.endsWith('_to_baseline'));
    expect(ratios).toHaveLength(2);
    for (const i of ratios) {
      expect(i.verdict).toBe('skipped');
      expect(i.message).toContain('needs --baseline');
    }
    expect(items.filter((i) => i.verdict === 'pass')).toHaveLength(3);
  });

  it('skips only the items of a missing metric, naming the file', () => {
    const { error_rate: _, ...rest } = healthy;
    const items = evaluateTriggers(seedTriggers, file(rest), baseline);
    const skipped = items.filter((i) => i.verdict === 'skipped');
    expect(skipped.map((i) => i.id)).toEqual(['trigger: error_rate.max']);
    expect(skipped[0]?.message).toBe('skipped: error_rate is not in new.json');
  });

  it('skips a ratio trigger when the baseline lacks the metric', () => {
    const item = verdictOf(
      healthy,
      'trigger: throughput.min_ratio_to_baseline',
      file({ latency_p95: 100 }, 'old.json'),
    );
    expect(item.verdict).toBe('skipped');
    expect(item.message).toContain('throughput is not in old.json');
  });

  it('evaluates absolute latency and throughput bounds when the plan sets them', () => {
    const items = evaluateTriggers(
      { latency_p95: { max: 300 }, throughput: { min: 100 } },
      file({ latency_p95: 301, throughput: 100 }),
    );
    expect(items.map((i) => [i.id, i.verdict])).toEqual([
      ['trigger: latency_p95.max', 'fail'],
      ['trigger: throughput.min', 'pass'],
    ]);
  });

  it('evaluates nothing the plan does not set', () => {
    expect(evaluateTriggers({}, file(healthy), baseline)).toEqual([]);
  });
});
