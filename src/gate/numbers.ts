/**
 * Threshold comparisons and number formatting shared by the trigger and comparison rules.
 *
 * Bounds are inclusive and compared with a tiny relative tolerance: 95 / 100 − 1 is
 * −0.05000000000000004 in floating point, and a throughput exactly 5 % down must meet a
 * "−5 % allowed" rule, not fail it by a rounding error.
 */

const relativeTolerance = 1e-9;

function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= relativeTolerance * Math.max(1, Math.abs(a), Math.abs(b));
}

export function atLeast(value: number, bound: number): boolean {
  return value >= bound || near(value, bound);
}

export function atMost(value: number, bound: number): boolean {
  return value <= bound || near(value, bound);
}

/** A measured number as a person reads it: no float noise (0.1 + 0.2 shows as 0.3). */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(6)));
}

/** A relative change as a signed percentage: −0.05 → "−5 %", 0.125 → "+12.5 %". */
export function pct(change: number): string {
  const p = Number((change * 100).toPrecision(4));
  const sign = p > 0 ? '+' : p < 0 ? '−' : '';
  return `${sign}${Math.abs(p)} %`;
}
