import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';
import { makeGateWorkspace } from '../helpers/gate-fixture.js';

/** `gate --metrics/--baseline`: each rollback trigger and each comparison rule, one at a time. */

interface Item {
  id: string;
  verdict: string;
  message: string;
}
interface Doc {
  exitCode: number;
  items: Item[];
  warnings: string[];
  thresholdsFrom: { triggers: string; compare: string };
}

const quiet = { GITHUB_ACTIONS: undefined, GITHUB_STEP_SUMMARY: undefined };
const gate = (cwd: string, args: string[]) => runCli(['gate', '--json', ...args], { cwd, env: quiet });
const failed = (doc: Doc) => doc.items.filter((i) => i.verdict === 'fail').map((i) => i.id);
const of = (doc: Doc, group: string) => doc.items.filter((i) => i.id.startsWith(group));

// The plan's own gate section (the seed's values) and a stricter environment.
const gateSection = `gate:
  triggers:
    validation_success_rate: { min: 0.7 }
    error_rate: { max: 0.05 }
    latency_p95: { max_ratio_to_baseline: 2.0 }
    throughput: { min_ratio_to_baseline: 0.5 }
    health_check_failures: { max: 3 }
  compare:
    validation_success_rate: { min: 0.8 }
    throughput_change: { min: -0.05 }
    latency_change: { max: 0.10 }
environments:
  strict:
    gate: { triggers: { error_rate: { max: 0.01 } } }
`;

const healthy = {
  validation_success_rate: 0.9,
  error_rate: 0.01,
  latency_p95: 110,
  throughput: 980,
  health_check_failures: 0,
};
const baseline = { latency_p95: 100, throughput: 1000, validation_success_rate: 0.85 };

/** A fresh workspace per test (temp folders are removed after each test). */
function setup() {
  const ws = makeGateWorkspace(gateSection);
  const write = (name: string, values: Record<string, unknown>) => ws.file(name, JSON.stringify(values));
  return { ws, write, oldFile: write('old.json', baseline) };
}

describe('gate with metrics', () => {
  it('healthy metrics pass every trigger and the comparison', async () => {
    const { ws, write, oldFile } = setup();
    const r = await gate(ws.root, ['--metrics', write('new.json', healthy), '--baseline', oldFile]);
    expect(r.code, r.stderr).toBe(0);
    const doc = json<Doc>(r);
    expect(doc.thresholdsFrom).toEqual({ triggers: 'plan', compare: 'plan' });
    expect(of(doc, 'trigger: ').map((i) => [i.id, i.verdict])).toEqual([
      ['trigger: validation_success_rate.min', 'pass'],
      ['trigger: error_rate.max', 'pass'],
      ['trigger: latency_p95.max_ratio_to_baseline', 'pass'],
      ['trigger: throughput.min_ratio_to_baseline', 'pass'],
      ['trigger: health_check_failures.max', 'pass'],
    ]);
    expect(of(doc, 'compare: ').map((i) => [i.id, i.verdict])).toEqual([
      ['compare: validation_success_rate', 'pass'],
      ['compare: throughput_change', 'pass'],
      ['compare: latency_change', 'pass'],
    ]);
  });

  it.each([
    ['validation_success_rate', 0.69, 'trigger: validation_success_rate.min'],
    ['error_rate', 0.051, 'trigger: error_rate.max'],
    ['latency_p95', 201, 'trigger: latency_p95.max_ratio_to_baseline'],
    ['throughput', 499, 'trigger: throughput.min_ratio_to_baseline'],
    ['health_check_failures', 4, 'trigger: health_check_failures.max'],
  ])('%s = %s trips only its trigger', async (key, value, id) => {
    const { ws, oldFile } = setup();
    // YAML this time: the format is told by content.
    const yaml = Object.entries({ ...healthy, [key]: value }).map(([k, v]) => `${k}: ${v}`);
    const file = ws.file(`trip-${key}.yaml`, `${yaml.join('\n')}\n`);
    const r = await gate(ws.root, ['--metrics', file, '--baseline', oldFile]);
    expect(r.code, r.stderr).toBe(1);
    const doc = json<Doc>(r);
    expect(failed(doc).filter((i) => i.startsWith('trigger: '))).toEqual([id]);
    expect(doc.items.find((i) => i.id === id)?.message).toMatch(/^rollback trigger fires: /);
  });

  it.each([
    [{ validation_success_rate: 0.79 }, 'compare: validation_success_rate'],
    [{ throughput: 940 }, 'compare: throughput_change'],
    [{ latency_p95: 111 }, 'compare: latency_change'],
  ])('the comparison fails on %j alone', async (change, id) => {
    const { ws, write, oldFile } = setup();
    const r = await gate(ws.root, [
      '--metrics',
      write('cmp.json', { ...healthy, ...change }),
      '--baseline',
      oldFile,
    ]);
    expect(r.code, r.stderr).toBe(1);
    const doc = json<Doc>(r);
    expect(failed(doc)).toEqual([id]);
    expect(doc.items.find((i) => i.id === id)?.message).toMatch(/^new is not better: /);
  });

  it('exactly at each comparison bound still passes', async () => {
    const { ws, write, oldFile } = setup();
    const atBounds = { ...healthy, validation_success_rate: 0.8, throughput: 950, latency_p95: 110 };
    const r = await gate(ws.root, ['--metrics', write('bounds.json', atBounds), '--baseline', oldFile]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('without --baseline the ratio triggers are skipped, saying why; no comparison', async () => {
    const { ws, write } = setup();
    const r = await gate(ws.root, ['--metrics', write('new.json', healthy)]);
    expect(r.code).toBe(0);
    const doc = json<Doc>(r);
    const skipped = doc.items.filter((i) => i.verdict === 'skipped' && i.id.startsWith('trigger: '));
    expect(skipped.map((i) => i.id)).toEqual([
      'trigger: latency_p95.max_ratio_to_baseline',
      'trigger: throughput.min_ratio_to_baseline',
    ]);
    expect(skipped[0]?.message).toContain('needs --baseline');
    expect(of(doc, 'compare: ')).toEqual([]);
  });

  it('a missing metric skips only its items and says so; unknown keys are warnings', async () => {
    const { ws, write } = setup();
    const { error_rate: _, ...rest } = healthy;
    const r = await gate(ws.root, ['--metrics', write('partial.json', { ...rest, error_rte: 0.2 })]);
    expect(r.code).toBe(0);
    const doc = json<Doc>(r);
    const item = doc.items.find((i) => i.id === 'trigger: error_rate.max');
    expect(item?.verdict).toBe('skipped');
    expect(item?.message).toMatch(/error_rate is not in .*partial\.json/);
    expect(doc.warnings.join('\n')).toContain('unknown key "error_rte" ignored (did you mean "error_rate"?)');
    expect(r.stderr).toContain('warning:');
  });

  it('--env overrides the plan thresholds', async () => {
    const { ws, write } = setup();
    const file = write('env.json', { ...healthy, error_rate: 0.03 });
    expect((await gate(ws.root, ['--metrics', file])).code).toBe(0);
    const strict = await gate(ws.root, ['--metrics', file, '--env', 'strict']);
    expect(strict.code).toBe(1);
    expect(failed(json<Doc>(strict))).toEqual(['trigger: error_rate.max']);
  });

  it.each([
    ['garbage', '\u0001\u0002 not: [metrics', /--metrics .*garbage: /],
    ['empty', '', /--metrics .*empty: the metrics file is empty/],
    ['list', '[0.1, 0.2]', /expected a mapping of metric names to numbers/],
    [
      'wrong-type',
      '{"error_rate": "high"}',
      /--metrics .*wrong-type: error_rate: expected a number, got string "high"/,
    ],
    ['percent', 'throughput: 1000\nerror_rate: 5\n', /error_rate: expected a fraction from 0 to 1/],
  ])('a %s metrics file is bad input (exit 2), named', async (name, content, message) => {
    const { ws } = setup();
    const file = ws.file(name, content);
    const r = await gate(ws.root, ['--metrics', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(json<{ ok: boolean; error: { kind: string } }>(r)).toMatchObject({
      ok: false,
      error: { kind: 'InputError' },
    });
  });

  it('a missing metrics file, and --baseline without --metrics, are bad input', async () => {
    const { ws, oldFile } = setup();
    const missing = await gate(ws.root, ['--metrics', 'nope.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--metrics nope.json: no such file');
    const alone = await gate(ws.root, ['--baseline', oldFile]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--baseline needs --metrics');
  });
});
