import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The sandbox is plain JavaScript (it runs without a build); its API is documented with JSDoc.
import { createSandbox } from '../../examples/sandbox/sandbox.js';
import { json, runCli } from '../helpers/cli.js';
import { portOpen } from '../helpers/net.js';
import { type TreeEntry, walkTree } from '../helpers/tree.js';

type Sandbox = Awaited<ReturnType<typeof createSandbox>>;

/** One line-JSON request to the sandbox's gnrdaemon, straight on its TCP port. */
function daemonRequest(port: number, cmd: string): Promise<{ ok: boolean; result: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = '';
    socket.setTimeout(3000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.write(`${JSON.stringify({ cmd, args: {} })}\n`));
    socket.on('data', (c) => {
      buf += c.toString();
      if (buf.includes('\n')) {
        socket.end();
        resolve(JSON.parse(buf.slice(0, buf.indexOf('\n'))));
      }
    });
    socket.on('error', reject);
  });
}

/** The first bytes a server sends on connect (NATS greets with INFO), or the head of an HTTP answer. */
function rawExchange(port: number, send: string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = '';
    socket.setTimeout(3000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => send && socket.write(send));
    socket.on('data', (c) => {
      buf += c.toString();
      if (buf.includes('\r\n')) {
        socket.destroy();
        resolve(buf);
      }
    });
    socket.on('error', reject);
  });
}

const wsUpgrade = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** Content and mode of a file or tree (mtimes aside): what "byte-identical after rollback" compares. */
function contentOf(path: string): Record<string, Omit<TreeEntry, 'mtimeMs'>> {
  const st = lstatSync(path);
  if (!st.isDirectory()) {
    const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    return { '.': { type: 'file', mode: st.mode & 0o7777, size: st.size, sha256 } };
  }
  const out: Record<string, Omit<TreeEntry, 'mtimeMs'>> = {};
  for (const [rel, e] of walkTree(path)) {
    const { mtimeMs: _m, ...rest } = e;
    out[rel] = rest;
  }
  return out;
}

describe('the sandbox Genropy host', () => {
  let sb: Sandbox | undefined;
  let ws: string;
  let before: Record<string, ReturnType<typeof contentOf>> = {};
  let systems: Record<string, string> = {};

  beforeAll(async () => {
    sb = await createSandbox();
    // The workspace lives as long as the sandbox (test/helpers/tmp.ts removes its folders after each test).
    ws = mkdtempSync(join(tmpdir(), 'gnrm-sandbox-ws-'));
    mkdirSync(join(ws, 'migration')); // a workspace, with the embedded default plan
  }, 90_000);

  afterAll(async () => {
    // Whatever happened above: nothing the sandbox started may outlive the test.
    if (sb) await sb.stop({ remove: true });
    if (ws) rmSync(ws, { recursive: true, force: true });
  }, 30_000);

  it('lays out a Genropy host as DESIGN §3 describes it', () => {
    const s = sb!;
    const p = s.paths;
    const env = readFileSync(join(p.gnrcfg, 'environment.xml'), 'utf8');
    expect(env).toMatch(new RegExp(`<gnrdaemon [^>]*port="${s.ports.daemon}"`));
    for (const d of ['instanceconfig', 'siteconfig', 'sockets'])
      expect(existsSync(join(p.gnrcfg, d))).toBe(true);
    expect(existsSync(join(p.instanceDir, 'config/instanceconfig.xml'))).toBe(true);
    expect(existsSync(join(p.instanceDir, 'config/siteconfig.xml'))).toBe(true);
    expect(existsSync(join(p.projectDir, 'packages/erp/main.py'))).toBe(true);
    for (const d of ['sockets', 'logs', 'data', 'root.py']) expect(existsSync(join(p.siteDir, d))).toBe(true);

    const site = readFileSync(s.paths.nginxSite, 'utf8');
    expect(site).toMatch(
      new RegExp(`location /websocket \\{[^}]*proxy_pass http://127\\.0\\.0\\.1:${s.ports.async};`),
    );
    expect(site).toMatch(
      new RegExp(`location / \\{[^}]*proxy_pass http://127\\.0\\.0\\.1:${s.ports.gunicorn};`),
    );
    expect(readlinkSync(join(p.nginxDir, 'sites-enabled/acme_erp.conf'))).toBe(
      '../sites-available/acme_erp.conf',
    );
    for (const prog of ['gnrdaemon', 'gnrasync', 'gnrtaskscheduler', 'gnrtaskworker', 'gunicorn'])
      expect(readFileSync(join(p.supervisorDir, `${prog}.conf`), 'utf8')).toContain(`[program:${prog}]`);
    for (const tool of [
      'gnr',
      'gnrasgiserve',
      'genro-asgi',
      'supervisorctl',
      'nginx',
      'systemctl',
      'pytest',
      'python3',
      'pip',
    ])
      expect(existsSync(join(p.bin, tool))).toBe(true);

    // Remember the systems the default plan backs up in phase 0, to compare after its rollback.
    systems = {
      gnrcfg: p.gnrcfg,
      instance: join(p.instanceDir, 'config'),
      nginx: s.paths.nginxSite,
      supervisor: p.supervisorDir,
      gunicorn: join(p.siteDir, 'gunicorn.conf.py'),
    };
    before = Object.fromEntries(Object.entries(systems).map(([k, v]) => [k, contentOf(v)]));
  });

  it('runs real listeners: gnrdaemon answers ping, the site its heartbeat, gnrasync the upgrade, NATS its INFO', async () => {
    const s = sb!;
    expect(await daemonRequest(s.ports.daemon, 'ping')).toEqual({ ok: true, result: 'ping' });
    const ping = spawnSync('gnr', ['web', 'daemon', '-C', 'ping'], {
      env: { ...process.env, ...s.env },
      encoding: 'utf8',
    });
    expect(ping.stdout.trim()).toBe('ping');

    const res = await fetch(`http://127.0.0.1:${s.ports.nginx}/sys/heartbeat`);
    expect(res.status).toBe(200);
    const direct = await fetch(`http://127.0.0.1:${s.ports.gunicorn}/sys/heartbeat`);
    expect(direct.headers.get('server')).toBe('gunicorn');

    expect(await rawExchange(s.ports.async, wsUpgrade('/websocket'))).toMatch(/^HTTP\/1\.1 101 /);
    expect(await rawExchange(s.ports.nginx, wsUpgrade('/websocket'))).toMatch(/^HTTP\/1\.1 101 /);
    expect(await rawExchange(s.ports.nats, null)).toMatch(/^INFO \{.*\}\r\n/);
    expect(await portOpen(s.ports.asgi)).toBe(false);
  });

  it('applies phase 0 of the unmodified default plan with --var overrides only', async () => {
    const s = sb!;
    const r = await runCli(['phase', '0', '--yes', '--ack', 'team_notified', '--cwd', ws, ...s.varArgs()], {
      cwd: ws,
      env: s.env,
      timeoutMs: 180_000,
    });
    expect(r.code, r.stderr).toBe(0);

    const site = readFileSync(s.paths.nginxSite, 'utf8');
    expect(site).toMatch(new RegExp(`location / \\{[^}]*proxy_pass http://127\\.0\\.0\\.1:${s.ports.asgi};`));
    expect(site).toMatch(
      new RegExp(`location /websocket \\{[^}]*proxy_pass http://127\\.0\\.0\\.1:${s.ports.async};`),
    );
    expect(readFileSync(join(s.paths.supervisorDir, 'gnrasgi.conf'), 'utf8')).toMatch(
      /^command=genro-asgi serve /m,
    );
    const asgi = await fetch(`http://127.0.0.1:${s.ports.asgi}/sys/heartbeat`);
    expect(asgi.status).toBe(200);
    expect(asgi.headers.get('server')).toBe('uvicorn');
    expect((await fetch(`http://127.0.0.1:${s.ports.nginx}/sys/heartbeat`)).status).toBe(200);
    expect(await portOpen(s.ports.daemon)).toBe(true); // gnrdaemon unchanged in phase 0

    const status = json<{ current: number | null }>(
      await runCli(['status', '--json', '--cwd', ws], { cwd: ws, env: s.env }),
    );
    expect(status.current).toBe(0);
    expect(existsSync(join(ws, 'migration/rollback/phase-0.md'))).toBe(true);
  }, 200_000);

  it('rolls phase 0 back: the ASGI front is gone and the files are byte-identical', async () => {
    const s = sb!;
    const r = await runCli(['rollback', '--yes', '--cwd', ws, ...s.varArgs()], {
      cwd: ws,
      env: s.env,
      timeoutMs: 180_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const after = Object.fromEntries(Object.entries(systems).map(([k, v]) => [k, contentOf(v)]));
    expect(after).toEqual(before);
    expect(await portOpen(s.ports.asgi)).toBe(false);
    expect((await fetch(`http://127.0.0.1:${s.ports.nginx}/sys/heartbeat`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${s.ports.gunicorn}/sys/heartbeat`)).status).toBe(200);
  }, 200_000);

  it('stop() leaves no process and no listener', async () => {
    const s = sb!;
    const pids = readFileSync(join(s.root, 'run/registry.pids'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number);
    expect(pids.length).toBeGreaterThan(5);
    const result = await s.stop();
    expect(result.open).toEqual([]);
    for (const port of Object.values(s.ports)) expect(await portOpen(port)).toBe(false);
    for (const pid of pids) {
      let alive = true;
      try {
        process.kill(pid, 0);
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        alive = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
      } catch {
        alive = false;
      }
      expect(alive, `pid ${pid} still alive`).toBe(false);
    }
  }, 30_000);
});
