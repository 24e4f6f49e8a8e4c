import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import {
  createSandbox,
  fixture,
  pyKeys,
  type Sandbox,
  standIn,
  statusOf,
} from '../helpers/sandbox-fixtures.js';

// The `gnr` stand-in (examples/sandbox/programs/gnr.js) against what the real `gnr` printed on
// a real host (examples/sandbox/fixtures/realhost/): gnrdaemon's client, the site under
// gunicorn (`gnr web serveprod`) and gnrasync (`gnr web async`).
describe('sandbox stand-in: gnr (gnrdaemon, serveprod, async) matches the real programs', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox();
  }, 90_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('gnr web daemon -C ping prints ping, as the real one', () => {
    const real = fixture('daemon-ping');
    const r = standIn(sb, 'gnr', ['web', 'daemon', '-C', 'ping']);
    expect(r.code).toBe(real.code);
    expect(r.out).toBe(real.out);
  });

  it('-C siteRegisters prints a Python list of (name, dict) tuples with the real keys', () => {
    const real = fixture('daemon-siteRegisters');
    const r = standIn(sb, 'gnr', ['web', 'daemon', '-C', 'siteRegisters']);
    expect(r.code).toBe(real.code);
    expect(r.out).toMatch(/^\[\('acme_erp', \{'domainIdentifier': 'acme_erp', /);
    expect(real.out).toMatch(/^\[\('realhost', \{'domainIdentifier': 'realhost', /);
    expect(pyKeys(r.out)).toEqual(pyKeys(real.out));
    expect(r.out).toContain("'is_alive': True");
    expect(r.out).toMatch(/'start_ts': datetime\.datetime\(\d+(, \d+){6}\)/);
  });

  it('the site answers / with its cookie, /sys/heartbeat with 500, /_ping 412 and /metrics counters', async () => {
    const base = `http://127.0.0.1:${sb.ports.nginx}`;
    const root = await fetch(`${base}/`);
    expect(root.status).toBe(statusOf(fixture('root').http));
    expect(root.headers.get('set-cookie')).toMatch(/^acme_erp="[^"]*connection_id=/);
    expect(fixture('root').http).toMatch(/^Set-Cookie: realhost="[^"]*connection_id=/m);
    expect((await fetch(`${base}/sys/heartbeat`)).status).toBe(statusOf(fixture('sys-heartbeat').http));
    expect((await fetch(`${base}/_ping`)).status).toBe(statusOf(fixture('ping').http));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const names = (t: string) =>
      [...t.matchAll(/^(genropy_site_counters\{counter="\w+"\}) \d+$/gm)].map((m) => m[1]);
    expect(names(metrics)).toEqual(names(fixture('metrics').body));
  });

  it('gnrasync answers POST /wsproxy on <site>/sockets/async.sock as the real one (an empty envelope is a 500)', () => {
    const sock = join(sb.paths.siteDir, 'sockets', 'async.sock');
    const r = standIn(sb, 'python3', [
      '-c',
      'import socket,sys\ns=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1])\nb=b"page_id=&envelope="\ns.sendall(b"POST /wsproxy HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/x-www-form-urlencoded\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % len(b) + b)\nprint(s.recv(200).split(b"\\r\\n")[0].decode())',
      sock,
    ]);
    expect(Number(r.out.split(' ')[1])).toBe(statusOf(fixture('wsproxy-empty').http));
    expect(readFileSync(join(sb.paths.siteDir, 'sockets', 'async_port'), 'utf8')).toBe(
      String(sb.ports.async),
    );
  });

  it('-C stop -s prints savestatus True / None, writes a pickle .pik, and the daemon exits', () => {
    const real = fixture('daemon-stop-s');
    const r = standIn(sb, 'gnr', ['web', 'daemon', '-C', 'stop', '-s']);
    expect(r.code).toBe(real.code);
    expect(r.out).toBe(real.out);
    const pik = readFileSync(join(sb.paths.siteDir, 'siteregister_data.pik'));
    const realHead = readFileSync(join(repoRoot, 'examples/sandbox/fixtures/realhost/pik-head.hex'), 'utf8');
    expect(pik.subarray(0, 2).toString('hex')).toBe(realHead.trim()); // pickle protocol 4: 80 04
    expect(standIn(sb, 'gnr', ['web', 'daemon', '-C', 'ping']).code).toBe(1);
  });

  it('a gnrdaemon started next to that .pik has a dead site register, as upstream does', async () => {
    standIn(sb, 'supervisorctl', ['start', 'gnrdaemon']);
    const r = standIn(sb, 'gnr', ['web', 'daemon', '-C', 'siteRegisters']);
    expect(r.out).toContain("'is_alive': False");
  });

  it('with genropy-asgi installed (and no genro-asgi) every gnr web daemon command says what the real one says', () => {
    standIn(sb, 'pip', ['uninstall', '-y', 'genro-asgi']);
    standIn(sb, 'pip', ['install', '--no-deps', 'genropy-asgi']);
    for (const [cmd, name] of [
      ['ping', 'daemon-ping-with-genropy-asgi'],
      ['siteRegisters', 'daemon-siteRegisters-with-genropy-asgi'],
    ] as const) {
      const real = fixture(name);
      const r = standIn(sb, 'gnr', ['web', 'daemon', '-C', cmd]);
      expect(r.code, cmd).toBe(real.code);
      expect(r.out, cmd).toBe(real.out);
    }
    // With genro-asgi there too, the entry point raises instead (realhost README).
    standIn(sb, 'pip', ['install', 'genro-asgi']);
    const r = standIn(sb, 'gnr', ['web', 'daemon', '-C', 'ping']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('RuntimeError: no register daemon in this build');
  });
});
