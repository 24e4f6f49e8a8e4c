import { resolve } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { InputError } from './errors.js';
import { ensureFolderFor, operatorErrorOf } from './os-errors.js';

/**
 * One JUnit XML writer for every report the tool makes (`check --junit`, `gate --junit`), in
 * the shape CI tools read (GitHub test reporters, GitLab `artifacts:reports:junit`, Jenkins):
 * `<testsuites>` → `<testsuite>` → `<testcase>` with at most one of `<failure>`, `<error>`,
 * `<skipped>`. The counts on each suite are computed here from the cases, so they always match.
 */

export interface JUnitOutcome {
  message: string;
  /** The `type` attribute: a short class of the outcome (`timeout`, `stale-lock`). */
  type?: string;
  /** Longer text: output tail, problems, issues. */
  body?: string;
}

export interface JUnitCase {
  name: string;
  classname: string;
  timeMs?: number;
  /** The assertion did not hold. */
  failure?: JUnitOutcome;
  /** It could not be evaluated because something broke (not the same as failing). */
  error?: JUnitOutcome;
  skipped?: { message: string };
  systemOut?: string;
}

export interface JUnitSuite {
  name: string;
  /** When it ran; written as the JUnit schema's local `xs:dateTime` (UTC, no zone suffix). */
  timestamp?: Date;
  hostname?: string;
  timeMs?: number;
  properties?: Record<string, string>;
  cases: JUnitCase[];
}

export function renderJUnit(suites: JUnitSuite[], _name: string): string {
  const body = suites.map((suite, index) => {
    const counts = countCases(suite.cases);
    const timeMs = suite.timeMs ?? suite.cases.reduce((sum, c) => sum + (c.timeMs ?? 0), 0);
    // Ant's schema requires id, package, timestamp and hostname, and allows no `skipped`
    // attribute (readers count <skipped/> cases themselves); Jenkins' accepts all of these.
    const attrs = attributes({
      name: suite.name,
      tests: counts.tests,
      failures: counts.failures,
      errors: counts.errors,
      time: seconds(timeMs),
      timestamp: (suite.timestamp ?? new Date()).toISOString().replace(/\.\d+Z$/, ''),
      hostname: suite.hostname || 'localhost',
      id: index,
      package: suite.name,
    });
    const props = Object.entries(suite.properties ?? {});
    const propsXml = props.length
      ? `    <properties>\n${props.map(([k, v]) => `      <property${attributes({ name: k, value: v })}/>`).join('\n')}\n    </properties>\n`
      : '    <properties/>\n';
    // Ant's schema has no per-case <system-out>: a case's output (a warning's reason) goes into
    // the suite's, under the case's name.
    const out = suite.cases
      .filter((c) => c.systemOut)
      .map((c) => `[${c.name}] ${c.systemOut}`)
      .join('\n');
    return (
      `  <testsuite${attrs}>\n${propsXml}${suite.cases.map(renderCase).join('')}` +
      `    <system-out>${text(out)}</system-out>\n    <system-err></system-err>\n  </testsuite>\n`
    );
  });
  // No attributes on <testsuites>: Ant's schema allows none (Jenkins' allows but needs none).
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${body.join('')}</testsuites>\n`;
}

/** Writes the report atomically (a CI upload never picks up half a file), creating its folder. */
export async function writeJUnit(file: string, suites: JUnitSuite[], name: string): Promise<string> {
  return writeReport(file, renderJUnit(suites, name));
}

/** Writes rendered XML whole or not at all; returns the absolute path. */
export async function writeReport(file: string, xml: string): Promise<string> {
  const path = resolve(file);
  await ensureFolderFor(path, 'the JUnit report');
  try {
    await writeFileAtomic(path, xml);
  } catch (err) {
    const op = operatorErrorOf(err);
    if (op) throw new InputError(`cannot write the JUnit report ${path}: ${op.message}`, { cause: err });
    throw err;
  }
  return path;
}

export function countCases(cases: readonly JUnitCase[]): {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
} {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.failure).length,
    errors: cases.filter((c) => !c.failure && c.error).length,
    skipped: cases.filter((c) => !c.failure && !c.error && c.skipped).length,
  };
}

function renderCase(c: JUnitCase): string {
  const attrs = attributes({ name: c.name, classname: c.classname, time: seconds(c.timeMs ?? 0) });
  // One outcome per case, in order of severity: readers count a case once. `type` is required
  // by Ant's schema. <skipped/> is what Ant's own formatter (1.9+), Jenkins, GitLab and GitHub
  // read; only the 2011 Ant schema predates it (see test/fixtures/xsd/README.md).
  let inner = '';
  if (c.failure) inner = outcome('failure', { type: 'failure', ...c.failure });
  else if (c.error) inner = outcome('error', { type: 'error', ...c.error });
  else if (c.skipped) inner = `      <skipped${attributes({ message: c.skipped.message })}/>\n`;
  if (!inner) return `    <testcase${attrs}/>\n`;
  return `    <testcase${attrs}>\n${inner}    </testcase>\n`;
}

function outcome(tag: 'failure' | 'error', o: JUnitOutcome): string {
  const attrs = attributes({ message: o.message, type: o.type });
  return o.body ? `      <${tag}${attrs}>${text(o.body)}</${tag}>\n` : `      <${tag}${attrs}/>\n`;
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${attr(String(v))}"`)
    .join('');
}

/** Characters XML 1.0 cannot hold at all (control bytes, lone surrogates) are dropped. */
const invalidXml = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
// ANSI colour codes would arrive as garbage in a CI report.
const ansi = /\x1b\[[0-9;]*[A-Za-z]/g;

export function text(s: string): string {
  return s
    .replace(ansi, '')
    .replace(invalidXml, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function attr(s: string): string {
  return text(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
