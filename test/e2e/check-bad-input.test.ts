import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

function workspace(checks: string): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'migration'));
  writeFileSync(
    join(dir, 'migration', 'plan.yaml'),
    `version: 1
project: bad
path: [0, 3]
phases:
  - id: 0
    checks:
${checks}
  - id: 3
`,
  );
  return dir;
}

describe('bad input: a clear message and the right exit code', () => {
  it('an unreachable host fails the check (exit 1) and says why', async () => {
    const dir = workspace(`
      - { id: nats, tcp: "no-such-host.invalid:4222", timeout: 5s }
      - { id: web, http: "http://no-such-host.invalid/sys/heartbeat", timeout: 5s }
`);
    const r = await runCli(['check', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const results = json<{ results: { id: string; status: string; reason: string }[] }>(r).results;
    expect(results.map((x) => x.status)).toEqual(['fail', 'fail']);
    for (const x of results)
      expect(x.reason).toMatch(/no-such-host\.invalid.*(host not found|host name lookup failed)/);
  });

  it('an invalid URL is a plan error (exit 2) naming file, line and path', async () => {
    const dir = workspace('      - { id: web, http: "not a url" }');
    const r = await runCli(['check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /plan\.yaml:7:\d+: phases\[0\]\.checks\[0\]\.http: expected URL, got "not a url"/,
    );
  });

  it('a regex that does not compile is a plan error (exit 2)', async () => {
    const dir = workspace('      - { id: out, run: [echo, x], expect: { stdout: "([a-z" } }');
    const r = await runCli(['phase', '0', '--dry-run'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/phases\[0\]\.checks\[0\]\.expect\.stdout: not a valid regular expression/);
  });

  it('a repeated check id is a plan error (exit 2)', async () => {
    const dir = workspace(`
      - { id: same, env: HOME }
      - { id: same, env: PATH }
`);
    const r = await runCli(['check', '--json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('duplicate check id "same" (also phases[0].checks[0])');
    const doc = json<{ ok: boolean; error: { exitCode: number } }>(r);
    expect(doc.ok).toBe(false);
    expect(doc.error.exitCode).toBe(2);
  });

  it('a phase that does not exist (exit 2) lists the phases there are', async () => {
    const dir = workspace('      - { id: ok, env: HOME }');
    for (const args of [
      ['check', '--phase', '42'],
      ['phase', '42', '--dry-run'],
    ]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/phase 42 is not in the plan .*plan\.yaml \(phases: 0, 3\)/);
    }
    const r = await runCli(['check', '--phase', 'four'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('phase "four": expected a phase number');
  });

  it('--concurrency 0 is refused (exit 2)', async () => {
    const dir = workspace('      - { id: ok, env: HOME }');
    for (const args of [
      ['check', '--concurrency', '0'],
      ['phase', '0', '--dry-run', '--concurrency', '0'],
    ]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--concurrency 0: expected a whole number of 1 or more');
    }
  });

  it('a mistyped --ack is named, not silently ignored', async () => {
    const dir = workspace('      - { id: team, ack: "Team notified?" }');
    const r = await runCli(['check', '--ack', 'teem'], { cwd: dir });
    expect(r.stderr).toContain('--ack teem: no ack check with that id here (ack checks: team)');
  });
});
