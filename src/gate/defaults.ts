import type { Compare, Triggers } from '../plan/schema.js';
import type { Gate } from '../plan/types.js';

/**
 * The seed's rollback triggers and parallel-run rule ("new is better"), used when the plan's
 * `gate:` section (after `--env` overrides) sets none. A plan that sets any trigger owns the
 * whole list: a trigger left out of it is off, not silently brought back from here.
 */
export const seedTriggers: Triggers = {
  validation_success_rate: { min: 0.7 },
  error_rate: { max: 0.05 },
  latency_p95: { max_ratio_to_baseline: 2 },
  throughput: { min_ratio_to_baseline: 0.5 },
  health_check_failures: { max: 3 },
};

export const seedCompare: Compare = {
  validation_success_rate: { min: 0.8 },
  throughput_change: { min: -0.05 },
  latency_change: { max: 0.1 },
};

export interface EffectiveGate {
  triggers: Triggers;
  compare: Compare;
  /** Where each list came from, for the report. */
  source: { triggers: 'plan' | 'seed'; compare: 'plan' | 'seed' };
}

export function effectiveGate(gate: Gate): EffectiveGate {
  const triggersSet = hasAnyBound(gate.triggers);
  const compareSet = hasAnyBound(gate.compare);
  return {
    triggers: triggersSet ? gate.triggers : seedTriggers,
    compare: compareSet ? gate.compare : seedCompare,
    source: { triggers: triggersSet ? 'plan' : 'seed', compare: compareSet ? 'plan' : 'seed' },
  };
}

function hasAnyBound(section: Record<string, object | undefined>): boolean {
  return Object.values(section).some(
    (rule) => rule !== undefined && Object.values(rule).some((bound) => typeof bound === 'number'),
  );
}
