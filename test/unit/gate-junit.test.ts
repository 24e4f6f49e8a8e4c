import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJUnit } from '../../src/core/junit.js';
import { annotations, escapeProperty, stepSummary } from '../../src/gate/report-github.js';
import { gateSuite, writeGateJUnit } from '../../src/gate/report-junit.js';
import type { GateItem, GateReport } from '../../src/gate/types.js';
import { tempDir } from '../helpers/tmp.js';

const item = (id: string, verdict: GateItem['verdict'], message = `${id} ${verdict}`): GateItem => ({
  id,
  group: 'checklist',
  title: id,
  verdict,
  measured: null,
  threshold: null,
  message,
});

function report(items: GateItem[], warnings: string[] = []): GateReport {
  const failed = items.some((i) => i.verdict === 'fail');
  return {
    ok: !failed,
    exitCode: failed ? 1 : 0,
    project: 'acme',
    planFile: '/srv/deploy/migration/plan.yaml',
    phase: 3,
    phaseTitle: 'Mono-process',
    standing: 'next',
    deep: false,
    items,
    warnings,
    startedAt: '2026-11-22T10:15:00.123Z',
    durationMs: 1234,
  };
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
});

describe('JUnit report', () => {
  it('is valid XML whose counts match its cases', () => {
    const xml = renderJUnit(
      [
        gateSuite(
          report([
            item('plan', 'pass'),
            item('lock', 'fail', 'stale lock, run `gnr-migrate unlock`'),
            item('trigger: error_rate.max', 'fail'),
            item('backups', 'skipped'),
            item('checklist: disk', 'warn'),
          ]),
        ),
      ],
      'gnr-migrate gate',
    );
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml);
    const suites = doc.testsuites;
    const suite = suites.testsuite[0];
    // Counts live on the suite (Ant's schema allows no attribute on <testsuites>, nor `skipped`).
    expect(suite['@tests']).toBe('5');
    expect(suite['@failures']).toBe('2');
    expect(suite['@skipped']).toBeUndefined();
    expect(suite['@name']).toBe('gnr-migrate gate: phase 3');
    expect(suite['@timestamp']).toBe('2026-11-22T10:15:00');
    const cases = suite.testcase as Record<string, unknown>[];
    expect(cases.map((c) => c['@name'])).toEqual([
      'plan',
      'lock',
      'trigger: error_rate.max',
      'backups',
      'checklist: disk',
    ]);
    expect(cases.filter((c) => 'failure' in c)).toHaveLength(Number(suite['@failures']));
    expect(cases.filter((c) => 'skipped' in c)).toHaveLength(1);
    expect((cases[1]!.failure as Record<string, string>)['@message']).toBe(
      'stale lock, run `gnr-migrate unlock`',
    );
    expect(suite['system-out']).toBe('[checklist: disk] warning: checklist: disk warn');
    const props = Object.fromEntries(
      (suite.properties.property as Record<string, string>[]).map((p) => [p['@name'], p['@value']]),
    );
    expect(props).toMatchObject({ project: 'acme', phase: '3', standing: 'next', deep: 'false' });
  });

  it('escapes markup and drops what XML cannot hold', () => {
    const nasty = 'a < b && "c" > \'d\'\u0000\u001b[31mred\u001b[39m\n\ttab \uD800 ok 😀';
    const xml = renderJUnit(
      [
        {
          name: 'x',
          cases: [{ name: nasty, classname: 'c', failure: { message: nasty, body: `${nasty}]]>` } }],
        },
      ],
      'root',
    );
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml);
    const tc = doc.testsuites.testsuite[0].testcase[0];
    // Markup round-trips; NUL, the ANSI colour codes and the lone surrogate are gone.
    expect(tc['@name']).toMatch(/^a < b && "c" > 'd'red.*tab {2}ok 😀$/);
    expect(xml).not.toContain('\u0000');
    expect(xml).not.toContain('\u001b');
    expect(xml).toContain('😀');
  });

  it('is written atomically, creating its folder', async () => {
    const dir = tempDir();
    const file = join(dir, 'reports', 'gate.xml');
    await writeGateJUnit(file, report([item('plan', 'pass')]));
    expect(XMLValidator.validate(readFileSync(file, 'utf8'))).toBe(true);
  });
});

describe('GitHub Actions output', () => {
  it('annotates failures as errors and warnings as warnings, escaped', () => {
    const lines = annotations(
      report(
        [
          item('plan', 'pass'),
          item('lock', 'fail', 'held: 50%\nsecond line'),
          item('checklist: a,b', 'warn'),
        ],
        ['--metrics m.json: unknown key "x" ignored'],
      ),
    );
    expect(lines).toEqual([
      '::error title=gate%3A lock::held: 50%25%0Asecond line',
      '::warning title=gate%3A checklist%3A a%2Cb::checklist: a,b warn',
      '::warning title=gnr-migrate gate::--metrics m.json: unknown key "x" ignored',
    ]);
    expect(escapeProperty('a:b,c%')).toBe('a%3Ab%2Cc%25');
  });

  it('summarises as a Markdown table with pipes escaped', () => {
    const md = stepSummary(report([item('plan', 'pass'), item('x', 'fail', 'a | b')]));
    expect(md).toContain('### gnr-migrate gate: phase 3 (Mono-process) — ❌ failed (1 of 2 items)');
    expect(md).toContain('| ❌ | `x` | fail |  |  | a \\| b |');
  });
});
