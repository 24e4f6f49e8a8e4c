import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Every JUnit report the tool writes (check and gate; passing, failing, with skipped items)
 * validates with xmllint against the Jenkins schema and Ant's (test/fixtures/xsd/README.md:
 * a report with skipped items against Ant's plus <skipped>, its one departure).
 */
const xsd = (name: string) => join(repoRoot, 'test', 'fixtures', 'xsd', name);

function validate(file: string, schema: string): { ok: boolean; text: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', xsd(schema), file], { encoding: 'utf8' });
  return { ok: r.status === 0, text: `${r.stdout}${r.stderr}` };
}

const plan = `version: 1
project: junit-test
systems:
  conf: { path: conf }
path: [0, 3]
phases:
  - id: 0
    title: Zero
    backup: [conf]
    checks:
      - { id: passes, title: "a <passing> & \\"quoted\\" check", run: [node, -e, "console.log('ok')"] }
      - { id: fails, run: [node, -e, "console.error('no\\\\u0007pe'); process.exit(3)"] }
      - { id: warns, severity: warn, run: [node, -e, "process.exit(1)"] }
      - { id: missing, run: [no-such-program-gnrm] }
  - id: 3
    title: Three
    checks:
      - { id: ok, run: [node, -e, "0"] }
      - { id: backed_up, builtin: backup_exists }
`;

describe('JUnit reports against the Jenkins and Ant schemas (xmllint)', () => {
  it('check and gate reports, passing and failing, validate', async () => {
    const ws = tempDir();
    mkdirSync(join(ws, 'migration'));
    mkdirSync(join(ws, 'conf'));
    writeFileSync(join(ws, 'conf', 'a.conf'), 'x\n');
    writeFileSync(join(ws, 'migration', 'plan.yaml'), plan);
    const metrics = join(ws, 'metrics.json');
    writeFileSync(metrics, JSON.stringify({ error_rate: 0.5, latency_p95: 100, throughput: 10 }));

    const reports: { file: string; args: string[] }[] = [
      { file: 'check-0.xml', args: ['check', '--phase', '0'] },
      { file: 'check-3.xml', args: ['check', '--phase', '3'] },
      { file: 'gate-0.xml', args: ['gate', '--phase', '0', '--metrics', metrics] },
      { file: 'gate-3.xml', args: ['gate', '--phase', '3'] },
    ];
    for (const r of reports) {
      const run = await runCli([...r.args, '--junit', join('reports', r.file)], { cwd: ws });
      expect([0, 1], run.stderr).toContain(run.code);
    }
    // A report with no skipped item at all, so Ant's schema applies unmodified.
    const passing = join(ws, 'reports', 'check-0-pass.xml');
    writeFileSync(
      join(ws, 'migration', 'plan.yaml'),
      plan.replace(
        /checks:\n(\s+- \{ id: passes.*\n)(?:\s+- \{ id: (fails|warns|missing).*\n)+/,
        'checks:\n$1',
      ),
    );
    const ok = await runCli(['check', '--phase', '0', '--junit', passing], { cwd: ws });
    expect(ok.code, ok.stderr).toBe(0);

    const files = [...reports.map((r) => join(ws, 'reports', r.file)), passing];
    let sawSkipped = false;
    let sawPlainAnt = false;
    for (const file of files) {
      const xml = readFileSync(file, 'utf8');
      const jenkins = validate(file, 'jenkins-junit-10.xsd');
      expect(jenkins.ok, `${file} against Jenkins junit-10.xsd:\n${jenkins.text}\n${xml}`).toBe(true);
      const skipped = xml.includes('<skipped');
      sawSkipped ||= skipped;
      sawPlainAnt ||= !skipped;
      const ant = validate(file, skipped ? 'ant-junit-with-skipped.xsd' : 'ant-junit.xsd');
      expect(ant.ok, `${file} against Ant's JUnit.xsd:\n${ant.text}\n${xml}`).toBe(true);
    }
    // Both kinds were covered: the strict Ant schema, and skipped items.
    expect(sawSkipped).toBe(true);
    expect(sawPlainAnt).toBe(true);
    // The failing report holds the failure, the error and the warning.
    const failing = readFileSync(join(ws, 'reports', 'check-0.xml'), 'utf8');
    expect(failing).toMatch(/<failure [^>]*type="fail"/);
    expect(failing).toMatch(/<error [^>]*type="error"/);
    expect(failing).toContain('[warns: warns] warning');
  });
});
