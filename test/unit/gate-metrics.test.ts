import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { parseMetrics, readMetricsFile } from '../../src/gate/metrics.js';
import { tempDir } from '../helpers/tmp.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const parse = (s: string) => parseMetrics('m.json', bytes(s));

async function inputError(p: Promise<unknown>): Promise<InputError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).exitCode).toBe(2);
  return err as InputError;
}

describe('metrics files', () => {
  it('reads JSON by content', async () => {
    const m = await parse('{"error_rate": 0.01, "latency_p95": 120, "throughput": 950}');
    expect(m.format).toBe('json');
    expect(m.values).toEqual({ error_rate: 0.01, latency_p95: 120, throughput: 950 });
    expect(m.missing).toEqual(['health_check_failures', 'validation_success_rate']);
    expect(m.warnings).toEqual([]);
  });

  it('reads YAML by content, whatever the file is called', async () => {
    const dir = tempDir();
    const file = join(dir, 'metrics.json');
    writeFileSync(file, 'error_rate: 0.02\nhealth_check_failures: 1\nvalidation_success_rate: 0.9\n');
    const m = await readMetricsFile(file);
    expect(m.format).toBe('yaml');
    expect(m.values).toEqual({ error_rate: 0.02, health_check_failures: 1, validation_success_rate: 0.9 });
  });

  it('keeps a BOM and surrounding blank lines from mattering', async () => {
    const m = await parse('\uFEFF\n  {"throughput": 10}\n');
    expect(m.values.throughput).toBe(10);
  });

  it('warns about unknown keys and suggests the metric meant', async () => {
    const m = await parse('{"error_rte": 0.5, "timestamp": 1700000000}');
    expect(m.values).toEqual({});
    expect(m.warnings).toEqual([
      'm.json: unknown key "error_rte" ignored (did you mean "error_rate"?)',
      'm.json: unknown key "timestamp" ignored',
    ]);
    expect(m.missing).toContain('error_rate');
  });

  it.each([
    ['{"error_rate": "5%"}', 'm.json: error_rate: expected a number, got string "5%"'],
    ['{"latency_p95": null}', 'm.json: latency_p95: expected a number, got null'],
    ['{"throughput": [1, 2]}', 'm.json: throughput: expected a number, got a list'],
    ['{"throughput": 1e999}', 'm.json: throughput: expected a finite number, got Infinity'],
    ['error_rate: .nan\n', 'm.json: error_rate: expected a finite number, got NaN'],
    ['{"error_rate": 5}', 'm.json: error_rate: expected a fraction from 0 to 1'],
    ['{"validation_success_rate": -0.1}', 'm.json: validation_success_rate: expected a fraction from 0 to 1'],
    ['{"health_check_failures": -1}', 'm.json: health_check_failures: expected a number of 0 or more'],
    [
      'health_check_failures: three\n',
      'm.json: health_check_failures: expected a number, got string "three"',
    ],
  ])('refuses %s naming the key', async (text, message) => {
    const err = await inputError(parse(text));
    expect(err.message).toContain(message);
  });

  it.each([
    ['', 'the metrics file is empty'],
    ['   \n\n', 'the metrics file is empty'],
    ['{"error_rate": 0.1', 'not valid JSON'],
    ['[1, 2, 3]', 'expected a mapping of metric names to numbers'],
    ['just some words', 'expected a mapping of metric names to numbers'],
    ['a: [unclosed\n b: {', 'neither JSON nor valid YAML'],
    ['error_rate: 1\nerror_rate: 2\n', 'neither JSON nor valid YAML'],
  ])('refuses garbage %j', async (text, message) => {
    const err = await inputError(parse(text));
    expect(err.message).toContain('m.json');
    expect(err.message).toContain(message);
  });

  it('refuses binary content', async () => {
    const err = await inputError(parseMetrics('m.bin', new Uint8Array([0xff, 0xfe, 0x00, 0x41])));
    expect(err.message).toContain('not a text file');
    const nul = await inputError(parseMetrics('m.bin', bytes('error_rate: 0\u0000')));
    expect(nul.message).toContain('not a text file');
  });

  it('refuses an unreadable or missing file, naming it and the option', async () => {
    const dir = tempDir();
    const missing = await inputError(readMetricsFile(join(dir, 'nope.json'), { label: '--metrics' }));
    expect(missing.message).toBe(`--metrics ${join(dir, 'nope.json')}: no such file`);
    const folder = await inputError(readMetricsFile(dir, { label: '--baseline' }));
    expect(folder.message).toContain('is a folder');
  });
});
