import { resolve } from 'node:path';
import { z } from 'zod';
import { closest } from '../core/closest.js';
import { InputError } from '../core/errors.js';
import { MissingFileError, readBoundedFile } from '../core/read-file.js';

/**
 * Metrics files for `gate --metrics` (the new system) and `--baseline` (the old one): JSON or
 * YAML, told apart by content (a file from a monitoring export is often named `.txt` or has no
 * extension), holding the five metrics of the seed's rollback triggers.
 *
 * Decisions:
 * - Values are plain numbers. Rates are fractions (0.05 is 5 %), so a rate above 1 is refused:
 *   it is almost always a percentage typed by mistake, and reading it as one would be a guess.
 * - A wrong type, a non-finite number or an out-of-range value is bad input (exit 2) naming
 *   the file and the key: a gate must not pass because a number could not be read.
 * - A missing key is not an error: only the items that need it are `skipped`, and say so.
 * - Unknown keys are a warning, not an error: exports from monitoring systems carry extra
 *   fields (timestamps, p50, labels) and refusing them would force a filter into every
 *   pipeline. The warning suggests the known key a typo was probably meant to be, and the
 *   typo's own items show up as skipped, so a misspelling cannot pass unnoticed.
 */

export const metricNames = [
  'error_rate',
  'latency_p95',
  'throughput',
  'health_check_failures',
  'validation_success_rate',
] as const;
export type MetricName = (typeof metricNames)[number];

// zod 4 refuses NaN and ±Infinity as numbers; say which it was.
const finite = z.number({
  error: (i) =>
    typeof i.input === 'number'
      ? `expected a finite number, got ${i.input}`
      : `expected a number, got ${describe(i.input)}`,
});
const rate = finite.refine((n) => n >= 0 && n <= 1, {
  message: 'expected a fraction from 0 to 1 (rates are fractions: 0.05 for 5 %)',
});
const nonNegative = finite.refine((n) => n >= 0, { message: 'expected a number of 0 or more' });

export const metricsSchema = z.object({
  error_rate: rate.optional(),
  latency_p95: nonNegative.optional(),
  throughput: nonNegative.optional(),
  health_check_failures: nonNegative.optional(),
  validation_success_rate: rate.optional(),
});
export type Metrics = z.infer<typeof metricsSchema>;

export interface MetricsFile {
  /** The path as given, for messages. */
  file: string;
  format: 'json' | 'yaml';
  values: Metrics;
  /** Known metrics the file does not hold. */
  missing: MetricName[];
  /** Unknown keys, each with a suggestion where one is close. */
  warnings: string[];
}

/** Reads and validates a metrics file; every problem is an InputError (exit 2) naming the file. */
export async function readMetricsFile(
  file: string,
  options: { cwd?: string; label?: string } = {},
): Promise<MetricsFile> {
  const label = options.label ? `${options.label} ${file}` : file;
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(resolve(options.cwd ?? process.cwd(), file), {
      what: 'a metrics file',
      maxBytes: 16 * 1024 * 1024,
    });
  } catch (err) {
    const message = err instanceof MissingFileError ? 'no such file' : (err as Error).message;
    throw new InputError(`${label}: ${message.replace(/^[^:]*: /, '')}`, { cause: err });
  }
  return parseMetrics(label, bytes, file);
}

/** Parses metrics from bytes; `label` prefixes every message (e.g. `--metrics new.json`). */
export async function parseMetrics(label: string, bytes: Uint8Array, file = label): Promise<MetricsFile> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${label}: not a text file (not valid UTF-8); expected JSON or YAML metrics`);
  }
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new InputError(`${label}: the metrics file is empty; ${expected}`);
  if (body.includes('\u0000')) throw new InputError(`${label}: not a text file (NUL bytes); ${expected}`);

  const { format, data } = /^\s*[{[]/.test(body) ? parseJson(label, body) : await parseYaml(label, body);
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new InputError(`${label}: ${expected}, got ${describe(data)}`);

  const parsed = metricsSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const key = first?.path.map(String).join('.') || '(top)';
    throw new InputError(`${label}: ${key}: ${first?.message ?? 'invalid value'}`);
  }
  const keys = Object.keys(data);
  const warnings = keys
    .filter((k) => !(metricNames as readonly string[]).includes(k))
    .map((k) => {
      const near = closestMetric(k);
      return `${label}: unknown key "${k}" ignored${near ? ` (did you mean "${near}"?)` : ''}`;
    });
  const missing = metricNames.filter((m) => parsed.data[m] === undefined);
  return { file, format, values: parsed.data, missing, warnings };
}

const expected = `expected a mapping of metric names to numbers (${metricNames.join(', ')})`;

function parseJson(label: string, body: string): { format: 'json'; data: unknown } {
  try {
    return { format: 'json', data: JSON.parse(body) };
  } catch (err) {
    throw new InputError(`${label}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

async function parseYaml(label: string, body: string): Promise<{ format: 'yaml'; data: unknown }> {
  // Loaded here so a JSON-only gate does not pay for the YAML parser.
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(body, { uniqueKeys: true, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new InputError(
      `${label}: neither JSON nor valid YAML${where} (${error.message.split('\n')[0]}); ${expected}`,
    );
  }
  try {
    return { format: 'yaml', data: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (err) {
    // yaml refuses a "billion laughs" document (aliases expanding exponentially) here.
    throw new InputError(`${label}: YAML aliases expand too far (${(err as Error).message.split('\n')[0]})`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** The known metric a misspelt key most likely meant (edit distance ≤ 3). */
function closestMetric(key: string): string | undefined {
  return closest(key.toLowerCase().replace(/[-\s]/g, '_'), metricNames, 4);
}
