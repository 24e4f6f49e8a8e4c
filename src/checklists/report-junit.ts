import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import type { CheckResult } from './types.js';

/**
 * JUnit XML, the dialect Jenkins, GitLab and GitHub test reporters all read: one <testsuite>
 * per checklist, one <testcase> per check. fail and timeout are <failure>, error is <error>
 * (the check could not run), pending is <skipped>, warn passes with the reason in
 * <system-out> (it does not fail the build, but stays visible).
 */

export interface JunitSuite {
  /** e.g. "gnr-migrate phase 4 checklist" */
  name: string;
  /** Test case class name, e.g. "phase-4.checks". */
  classname: string;
  timestamp: Date;
  hostname?: string;
}

export function renderJunit(suite: JunitSuite, results: CheckResult[]): string {
  const count = (pred: (r: CheckResult) => boolean) => results.filter(pred).length;
  const failures = count((r) => r.status === 'fail' || r.status === 'timeout');
  const errors = count((r) => r.status === 'error');
  const skipped = count((r) => r.status === 'pending');
  const time = results.reduce((t, r) => t + r.durationMs, 0) / 1000;
  const attrs = (pairs: Record<string, string | number | undefined>) =>
    Object.entries(pairs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
      .join('');
  const L: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  L.push(
    `<testsuites${attrs({ name: suite.name, tests: results.length, failures, errors, skipped, time })}>`,
  );
  L.push(
    `  <testsuite${attrs({
      name: suite.name,
      tests: results.length,
      failures,
      errors,
      skipped,
      time,
      timestamp: suite.timestamp.toISOString().replace(/\.\d{3}Z$/, ''),
      hostname: suite.hostname,
    })}>`,
  );
  for (const r of results) {
    const head = `    <testcase${attrs({ classname: suite.classname, name: `${r.id}: ${r.title}`, time: r.durationMs / 1000 })}`;
    const body: string[] = [];
    if (r.status === 'fail' || r.status === 'timeout')
      body.push(
        `      <failure${attrs({ message: r.reason, type: r.status })}>${xmlText(details(r))}</failure>`,
      );
    else if (r.status === 'error')
      body.push(`      <error${attrs({ message: r.reason, type: 'error' })}>${xmlText(details(r))}</error>`);
    else if (r.status === 'pending') body.push(`      <skipped${attrs({ message: r.reason })}/>`);
    else if (r.status === 'warn')
      body.push(`      <system-out>${xmlText(`warning (severity: warn): ${r.reason}`)}</system-out>`);
    if (r.outputTail && r.status !== 'warn')
      body.push(`      <system-out>${xmlText(r.outputTail)}</system-out>`);
    L.push(body.length ? `${head}>\n${body.join('\n')}\n    </testcase>` : `${head}/>`);
  }
  L.push('  </testsuite>', '</testsuites>', '');
  return L.join('\n');
}

function details(r: CheckResult): string {
  return [`${r.kind} check ${r.id} (${r.severity}): ${r.status}`, r.reason, r.log ? `log: ${r.log}` : '']
    .filter(Boolean)
    .join('\n');
}

/** XML 1.0 cannot hold most C0 controls, lone surrogates or U+FFFE/U+FFFF; command output has them. */
function xmlChars(text: string): string {
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

/** Element content: newlines stay readable. */
export function xmlText(text: string): string {
  return xmlChars(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values: quotes and whitespace escaped too (a parser would fold raw newlines). */
export function xmlAttr(text: string): string {
  return xmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;');
}

/** Written whole or not at all (temp + rename): a CI job never reads half a report. */
export async function writeJunit(file: string, xml: string): Promise<string> {
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, xml);
  return path;
}
