import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  assertWellFormedXml,
  freePort,
  listen,
  processAlive,
  startHttpServer,
  waitDead,
} from '../helpers/checklists.js';
import { json, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

interface Result {
  id: string;
  status: string;
  reason: string;
  blocking: boolean;
  kind: string;
}
interface CheckDoc {
  ok: boolean;
  phase: number;
  mode: string;
  passed: boolean;
  blocking: string[];
  results: Result[];
  junit?: string;
}

beforeAll(() => {
  // The e2e tests run the built binary: `npx tsc -p .` first.
  readFileSync(new URL('../../dist/main.js', import.meta.url));
});

async function workspace(checks: string, phase3 = '      - { id: fine, env: GNRM_E2E }'): Promise<string> {
  const dir = tempDir();
  await writeFile(join(dir, 'placeholder'), '');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'migration'));
  await writeFile(
    join(dir, 'migration', 'plan.yaml'),
    `version: 1
project: e2e
path: [0, 3]
phases:
  - id: 0
    title: First
    checks:
${checks}
  - id: 3
    title: Second
    checks:
${phase3}
`,
  );
  return dir;
}

describe('gnr-migrate check against real things on 127.0.0.1', () => {
  it('runs every kind, reports in plan order with reasons, JSON and JUnit; exit 1 when one blocks', async () => {
    const { base } = await startHttpServer();
    const open = await listen();
    const closed = await freePort();
    const sockDir = tempDir();
    const sock = join(sockDir, 'gunicorn.sock');
    await listen(sock);
    const dir = await workspace(`
      - { id: http_ok, http: "${base}/ok", expect: { body: "status: ok" } }
      - { id: http_500, http: "${base}/fail" }
      - { id: http_slow, http: "${base}/slow", timeout: 500ms }
      - { id: http_wrong, http: "${base}/wrong", expect: { body: "status: ok" } }
      - { id: tcp_open, tcp: "127.0.0.1:${open.port}" }
      - { id: tcp_closed, tcp: "127.0.0.1:${closed}", expect: closed }
      - { id: tcp_refused, tcp: "127.0.0.1:${closed}" }
      - { id: unix_ok, unix: "${sock}" }
      - { id: cmd_ok, run: [sh, -c, "echo ping"], expect: { stdout: "^ping$" } }
      - { id: cmd_fail, run: [sh, -c, "echo 'tests failed' >&2; exit 2"] }
      - id: cmd_hang
        timeout: 1s
        shell: 'echo $$ > hang.pid; sleep 120 & echo $! > hang-child.pid; wait'
      - { id: file_ok, file: migration/plan.yaml, contains: "^project: e2e$" }
      - { id: file_absent, file: nothing.txt, expect: absent }
      - { id: env_ok, env: GNRM_E2E, equals: "yes" }
      - { id: env_warn, env: GNRM_E2E_MISSING, severity: warn }
      - { id: team, ack: "Team notified?" }
`);
    const junit = join(dir, 'reports', 'checklist.xml');
    const r = await runCli(['check', '--json', '--junit', junit, '--concurrency', '8'], {
      cwd: dir,
      env: { GNRM_E2E: 'yes', CI: 'true' },
    });
    expect(r.code).toBe(1);
    const doc = json<CheckDoc>(r);
    expect(doc.phase).toBe(0);
    expect(doc.mode).toBe('check');
    expect(doc.ok).toBe(false);
    const by = Object.fromEntries(doc.results.map((x) => [x.id, x]));
    expect(doc.results.map((x) => x.id)).toEqual([
      'http_ok',
      'http_500',
      'http_slow',
      'http_wrong',
      'tcp_open',
      'tcp_closed',
      'tcp_refused',
      'unix_ok',
      'cmd_ok',
      'cmd_fail',
      'cmd_hang',
      'file_ok',
      'file_absent',
      'env_ok',
      'env_warn',
      'team',
    ]);
    const statuses = Object.fromEntries(doc.results.map((x) => [x.id, x.status]));
    expect(statuses).toEqual({
      http_ok: 'pass',
      http_500: 'fail',
      http_slow: 'timeout',
      http_wrong: 'fail',
      tcp_open: 'pass',
      tcp_closed: 'pass',
      tcp_refused: 'fail',
      unix_ok: 'pass',
      cmd_ok: 'pass',
      cmd_fail: 'fail',
      cmd_hang: 'timeout',
      file_ok: 'pass',
      file_absent: 'pass',
      env_ok: 'pass',
      env_warn: 'warn',
      team: 'pending',
    });
    expect(doc.blocking).toEqual([
      'http_500',
      'http_slow',
      'http_wrong',
      'tcp_refused',
      'cmd_fail',
      'cmd_hang',
    ]);
    expect(by.tcp_refused?.reason).toBe(
      `tcp 127.0.0.1:${closed}: connection refused — is the service on port ${closed} running?`,
    );
    expect(by.cmd_fail?.reason).toContain('exit 2, expected 0: tests failed');
    expect(by.team?.reason).toBe('needs --ack team or a terminal: "Team notified?"');

    // The hung command and what it started are gone: the whole tree was killed.
    for (const f of ['hang.pid', 'hang-child.pid']) {
      const pid = Number(readFileSync(join(dir, f), 'utf8'));
      expect(await waitDead(pid)).toBe(true);
      expect(processAlive(pid)).toBe(false);
    }

    // --json: stdout is one document; no progress lines on stderr.
    expect(r.stderr).not.toContain('▸');
    const xml = readFileSync(junit, 'utf8');
    assertWellFormedXml(xml);
    expect(xml.match(/<testcase /g)).toHaveLength(16);
    expect(xml).toContain('<skipped message="needs --ack team or a terminal: &quot;Team notified?&quot;"/>');
    expect(xml).toContain('tests="16" failures="6" errors="0" time=');
    expect(xml.match(/<skipped /g)).toHaveLength(1);
  });

  it('reports each check once, as a table, without a terminal; --ack answers an ack', async () => {
    const dir = await workspace(`
      - { id: env_ok, env: GNRM_E2E }
      - { id: team, ack: "Team notified?" }
`);
    const r = await runCli(['check', '--ack', 'team'], { cwd: dir, env: { GNRM_E2E: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Checklist of phase 0 (First)');
    expect(r.stderr).toMatch(/✓ pass\s+env_ok\s+env\s/);
    expect(r.stderr).toMatch(/✓ pass\s+team\s+ack\s.*acknowledged with --ack team/);
    expect(r.stderr.match(/env_ok/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/2 checks: 2 passed — no blocking failure/);
  });

  it('defaults to the next phase on the path per the ledger; --phase picks another', async () => {
    const dir = await workspace('      - { id: never, file: nothing.txt }');
    await writeFile(
      join(dir, 'migration', 'state.json'),
      JSON.stringify({ version: 1, current: 0, planHash: null, runs: [] }),
    );
    const next = await runCli(['check', '--json'], { cwd: dir, env: { GNRM_E2E: '1' } });
    expect(next.code).toBe(0);
    expect(json<CheckDoc>(next).phase).toBe(3);
    const zero = await runCli(['check', '--phase', '0', '--json'], { cwd: dir });
    expect(zero.code).toBe(1);
    expect(json<CheckDoc>(zero).phase).toBe(0);
  });
});

describe('gnr-migrate check on SIGINT', () => {
  it('stops the running command tree and exits 130', async () => {
    const dir = await workspace(`
      - id: hang
        timeout: 60s
        shell: 'echo $$ > hang.pid; sleep 120 & echo $! > hang-child.pid; wait'
`);
    const { existsSync } = await import('node:fs');
    const r = await runCli(['check'], {
      cwd: dir,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          if (existsSync(join(dir, 'hang-child.pid'))) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 50);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted by SIGINT');
    for (const f of ['hang.pid', 'hang-child.pid']) {
      const pid = Number(readFileSync(join(dir, f), 'utf8'));
      expect(await waitDead(pid)).toBe(true);
    }
  });
});
