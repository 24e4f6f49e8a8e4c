import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChecklist } from '../../src/checklists/index.js';
import { contextFor, freePort, listen, planIn, startHttpServer } from '../helpers/checklists.js';
import { tempDir } from '../helpers/tmp.js';

const plan1 = (checks: string) => `
version: 1
project: t
path: [0]
phases:
  - id: 0
    checks:
${checks}
`;

async function run(checks: string) {
  const dir = tempDir();
  const plan = await planIn(dir, plan1(checks));
  const outcome = await runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0), { concurrency: 4 });
  return { dir, outcome, by: Object.fromEntries(outcome.results.map((r) => [r.id, r])) };
}

describe('http checks against a server on 127.0.0.1', () => {
  it('judges status, body and headers; a slow server times out', async () => {
    const { base } = await startHttpServer();
    const { by } = await run(`
      - { id: ok, http: "${base}/ok", expect: { status: 200, body: "status: ok", header: { x-app: "^genro" } } }
      - { id: e500, http: "${base}/fail" }
      - { id: want500, http: "${base}/fail", expect: { status: 500 } }
      - { id: wrong, http: "${base}/wrong", expect: { body: "status: ok" } }
      - { id: slow, http: "${base}/slow", timeout: 300ms }
      - { id: hdr, http: "${base}/ok", expect: { header: { x-app: "^nginx" } } }
`);
    expect(by.ok?.status).toBe('pass');
    expect(by.e500?.status).toBe('fail');
    expect(by.e500?.reason).toMatch(/500 Internal Server Error, expected 200 \(body: boom\)/);
    expect(by.want500?.status).toBe('pass');
    expect(by.wrong?.status).toBe('fail');
    expect(by.wrong?.reason).toContain('does not match /status: ok/ (starts: maintenance)');
    expect(by.slow?.status).toBe('timeout');
    expect(by.slow?.reason).toContain('no complete answer within 0.3s');
    expect(by.hdr?.status).toBe('fail');
    expect(by.hdr?.reason).toContain('header x-app is "genro-asgi", expected /^nginx/');
  });

  it('retries with the interval until the service answers', async () => {
    const { base, hits } = await startHttpServer();
    const { by } = await run(`      - { id: flaky, http: "${base}/flaky", retries: 3, interval: 10ms }`);
    expect(by.flaky?.status).toBe('pass');
    expect(hits.get('/flaky')).toBe(3);
  });

  it('says connection refused and names the server to start; gives up after the retries', async () => {
    const port = await freePort();
    const { by } = await run(
      `      - { id: down, http: "http://127.0.0.1:${port}/sys/heartbeat", retries: 1, interval: 10ms }`,
    );
    expect(by.down?.status).toBe('fail');
    expect(by.down?.reason).toContain(
      `connection refused — is the server on 127.0.0.1:${port} running? (after 2 attempts)`,
    );
  });

  it('reports an unresolvable host as a failure naming DNS', async () => {
    const { by } = await run('      - { id: nohost, http: "http://no-such-host.invalid/", timeout: 5s }');
    expect(by.nohost?.status).toBe('fail');
    expect(by.nohost?.reason).toMatch(/host not found|host name lookup failed/);
  });
});

describe('tcp and unix checks', () => {
  it('tells open from closed both ways', async () => {
    const open = await listen();
    const closed = await freePort();
    const { by } = await run(`
      - { id: open_ok, tcp: "127.0.0.1:${open.port}" }
      - { id: closed_bad, tcp: "127.0.0.1:${closed}" }
      - { id: closed_ok, tcp: "127.0.0.1:${closed}", expect: closed }
      - { id: open_bad, tcp: "127.0.0.1:${open.port}", expect: closed }
`);
    expect(by.open_ok?.status).toBe('pass');
    expect(by.closed_bad?.status).toBe('fail');
    expect(by.closed_bad?.reason).toBe(
      `tcp 127.0.0.1:${closed}: connection refused — is the service on port ${closed} running?`,
    );
    expect(by.closed_ok?.status).toBe('pass');
    expect(by.open_bad?.status).toBe('fail');
    expect(by.open_bad?.reason).toContain('expected closed');
  });

  it('names gnrdaemon when its port is refused', async () => {
    const { by } = await run('      - { id: daemon, tcp: "127.0.0.1:40404", expect: open }');
    // 40404 is almost surely free here; if a daemon runs on this machine the check passes.
    if (by.daemon?.status === 'fail')
      expect(by.daemon.reason).toBe('tcp 127.0.0.1:40404: connection refused — is gnrdaemon running?');
  });

  it('an unresolvable host fails for open and cannot be judged for closed', async () => {
    const { by } = await run(`
      - { id: o, tcp: "no-such-host.invalid:80", timeout: 5s }
      - { id: c, tcp: "no-such-host.invalid:80", expect: closed, timeout: 5s }
`);
    expect(by.o?.status).toBe('fail');
    expect(by.c?.status).toBe('error');
  });

  it('unix: a listening socket is open; a missing or stale one is closed', async () => {
    const dir = tempDir();
    const sock = join(dir, 'gunicorn.sock');
    await listen(sock);
    const stale = join(dir, 'async.sock');
    writeFileSync(stale, '');
    const { by } = await run(`
      - { id: up, unix: "${sock}" }
      - { id: missing, unix: "${join(dir, 'none.sock')}" }
      - { id: missing_ok, unix: "${join(dir, 'none.sock')}", expect: closed }
      - { id: stale, unix: "${stale}" }
`);
    expect(by.up?.status).toBe('pass');
    expect(by.missing?.status).toBe('fail');
    expect(by.missing?.reason).toContain('no such socket file');
    expect(by.missing_ok?.status).toBe('pass');
    // A plain file where the socket should be: not a socket (ECONNREFUSED on Linux).
    expect(by.stale?.status).toBe('fail');
    expect(by.stale?.reason).toMatch(/gnrasync/);
  });
});
