import { type JUnitCase, renderJUnit } from '../core/junit.js';
import type { CheckResult } from './types.js';

/**
 * A checklist as JUnit XML (the shared writer in core/junit.ts): one <testsuite> per checklist,
 * one <testcase> per check. fail and timeout are <failure>, error is <error> (the check could
 * not run), pending is <skipped>, warn passes with the reason in <system-out> (it does not fail
 * the build, but stays visible).
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
  const cases = results.map((r): JUnitCase => {
    const base: JUnitCase = { name: `${r.id}: ${r.title}`, classname: suite.classname, timeMs: r.durationMs };
    if (r.status === 'fail' || r.status === 'timeout')
      base.failure = { message: r.reason, type: r.status, body: details(r) };
    else if (r.status === 'error') base.error = { message: r.reason, type: 'error', body: details(r) };
    else if (r.status === 'pending') base.skipped = { message: r.reason };
    if (r.status === 'warn') base.systemOut = `warning (severity: warn): ${r.reason}`;
    else if (r.outputTail) base.systemOut = r.outputTail;
    return base;
  });
  return renderJUnit(
    [
      {
        name: suite.name,
        timestamp: suite.timestamp,
        ...(suite.hostname ? { hostname: suite.hostname } : {}),
        cases,
      },
    ],
    suite.name,
  );
}

function details(r: CheckResult): string {
  return [`${r.kind} check ${r.id} (${r.severity}): ${r.status}`, r.reason, r.log ? `log: ${r.log}` : '']
    .filter(Boolean)
    .join('\n');
}

/** Written whole or not at all (temp + rename): a CI job never reads half a report. */
export { writeReport as writeJunit } from '../core/junit.js';
