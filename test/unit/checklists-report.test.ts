import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  renderChecklistTable,
  renderJunit,
  summarize,
  summaryLine,
  writeJunit,
} from '../../src/checklists/index.js';
import type { CheckResult } from '../../src/checklists/types.js';
import { colorsFor } from '../../src/ui/output.js';
import { assertWellFormedXml } from '../helpers/checklists.js';
import { tempDir } from '../helpers/tmp.js';

const result = (
  id: string,
  status: CheckResult['status'],
  reason: string,
  extra: Partial<CheckResult> = {},
): CheckResult => ({
  id,
  title: id,
  kind: 'run',
  severity: status === 'warn' ? 'warn' : 'block',
  status,
  blocking: status === 'fail' || status === 'timeout' || status === 'error',
  durationMs: 12,
  reason,
  ...extra,
});

const nasty = 'a <b> & "c" \'d\' \x1b[31mred\x1b[39m \x00\x07 tab\there\nnext line ]]> 🚀';

const results = [
  result('ok', 'pass', 'fine'),
  result('bad', 'fail', nasty, { outputTail: `${nasty}\n` }),
  result('slow', 'timeout', 'no answer within 1s'),
  result('broken', 'error', 'program not found: pytest'),
  result('soft', 'warn', 'disk 80% full'),
  result('later', 'pending', 'will be created by the run'),
];

describe('JUnit report', () => {
  it('is well-formed XML with one testcase per check, and the right elements', () => {
    const xml = renderJunit(
      {
        name: 'gnr-migrate phase 0 checklist',
        classname: 'gnr-migrate.phase-0.checks',
        timestamp: new Date(0),
      },
      results,
    );
    assertWellFormedXml(xml);
    expect(xml.match(/<testcase /g)).toHaveLength(6);
    expect(xml).toContain('tests="6" failures="2" errors="1" time=');
    expect(xml).toMatch(
      /<testcase name="bad: bad" classname="gnr-migrate.phase-0.checks" time="0.012">\s*<failure message="a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;/,
    );
    expect(xml).toContain('<failure message="no answer within 1s" type="timeout">');
    expect(xml).toContain('<error message="program not found: pytest" type="error">');
    expect(xml).toContain('<skipped message="will be created by the run"/>');
    expect(xml).toContain('[soft: soft] warning (severity: warn): disk 80% full</system-out>');
    // Characters XML cannot hold are dropped; newlines in attributes are escaped.
    expect(xml).not.toMatch(/[\x00\x07\x1b]/);
    expect(xml).toContain('tab&#9;here&#10;next line');
    expect(xml).toContain('🚀');
  });

  it('is written atomically, creating the folder', async () => {
    const dir = tempDir();
    const path = await writeJunit(join(dir, 'reports', 'checks.xml'), '<testsuites/>\n');
    expect(readFileSync(path, 'utf8')).toBe('<testsuites/>\n');
    expect(readdirSync(join(dir, 'reports'))).toEqual(['checks.xml']);
  });
});

describe('human report', () => {
  it('one row per check in order, and a summary naming the blockers', () => {
    const c = colorsFor(false);
    const table = renderChecklistTable(results, c);
    expect(table.split('\n').map((l) => l.trim().split(/\s+/)[2])).toEqual([
      'ok',
      'bad',
      'slow',
      'broken',
      'soft',
      'later',
    ]);
    expect(summaryLine(summarize(results), c)).toBe(
      '6 checks: 1 passed, 1 failed, 1 timed out, 1 could not run, 1 warning, 1 pending — blocked by bad, slow, broken',
    );
    expect(summaryLine(summarize([results[0]!]), c)).toBe('1 check: 1 passed — no blocking failure');
  });
});
