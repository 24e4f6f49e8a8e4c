import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { tempDir } from './tmp.js';

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export interface PhaseFixture {
  ws: string;
  host: string;
  port: number;
  /** The pid file of the listener a step starts. */
  pidFile: string;
  vars: string[];
}

/**
 * A workspace and a small "host" whose phases change real files and start a real listener:
 * - conf/ (a folder system: files, a symlink, modes), app.ini (a single-file system);
 * - phase 0 rewrites conf/site.xml, adds conf/new.d/, chmods a file, rewrites app.ini and
 *   starts a TCP listener on `port` (its undo stops it); verify checks the port and content;
 * - phase 3 appends to conf/site.xml; its verify checks a marker file.
 * Vars let a test make a step or a verify fail: `fail_step=1`, `fail_verify=1`, `slow=SECONDS`.
 */
export async function phaseFixture(): Promise<PhaseFixture> {
  const ws = tempDir('gnrm-phase-');
  const host = join(ws, 'host');
  mkdirSync(join(host, 'conf', 'sub'), { recursive: true });
  mkdirSync(join(host, 'conf', 'empty'));
  mkdirSync(join(ws, 'migration'));
  writeFileSync(join(host, 'conf', 'site.xml'), '<site name="old"/>\n');
  writeFileSync(join(host, 'conf', 'sub', 'secret.key'), 'k3y\n');
  chmodSync(join(host, 'conf', 'sub', 'secret.key'), 0o600);
  writeFileSync(join(host, 'conf', 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(host, 'conf', 'run.sh'), 0o755);
  symlinkSync('site.xml', join(host, 'conf', 'current.xml'));
  symlinkSync('does-not-exist', join(host, 'conf', 'dangling'));
  writeFileSync(join(host, 'app.ini'), '[app]\nmode=wsgi\n');
  const port = await freePort();
  const pidFile = join(ws, 'listener.pid');
  writeFileSync(join(ws, 'listener.js'), listenerScript);
  writeFileSync(join(ws, 'migration', 'plan.yaml'), planText);
  return {
    ws,
    host,
    port,
    pidFile,
    vars: ['--var', `host=${host}`, '--var', `port=${port}`, '--var', `ws=${ws}`],
  };
}

/** A real TCP listener, detached, output to a file (never the step's stdout). */
const listenerScript = `
const net = require('node:net');
const fs = require('node:fs');
const [port, pidFile] = process.argv.slice(2);
// A probe that closes at once makes the write fail: ignore it rather than crash.
const srv = net.createServer((s) => { s.on('error', () => {}); s.end('ok\\n'); });
srv.listen(Number(port), '127.0.0.1', () => fs.writeFileSync(pidFile, String(process.pid)));
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
`;

const planText = `version: 1
project: demo
path: [0, 3]
vars:
  host: /nonexistent
  port: 1
  ws: /nonexistent
  fail_step: "0"
  fail_verify: "0"
  slow: "0"
systems:
  conf: { path: "\${host}/conf" }
  ini: { path: "\${host}/app.ini" }
phases:
  - id: 0
    title: Rewrite config and start a listener
    backup: [conf, ini]
    checks:
      - { id: site_xml, file: "\${host}/conf/site.xml", contains: "old" }
      - { id: port_free, tcp: "127.0.0.1:\${port}", expect: closed }
      - { id: backup_exists, builtin: backup_exists }
      - { id: rollback_plan, builtin: rollback_plan }
    steps:
      - id: rewrite_site
        shell: 'printf "<site name=\\"new\\"/>\\n" > "\${host}/conf/site.xml" && mkdir -p "\${host}/conf/new.d" && echo x > "\${host}/conf/new.d/extra.conf" && chmod 0644 "\${host}/conf/sub/secret.key"'
      - id: rewrite_ini
        run: [sh, -c, 'printf "[app]\\nmode=asgi\\n" > "$1"', sh, "\${host}/app.ini"]
      - id: start_listener
        shell: 'nohup node "\${ws}/listener.js" \${port} "\${ws}/listener.pid" > "\${ws}/listener.log" 2>&1 & for i in $(seq 1 100); do [ -s "\${ws}/listener.pid" ] && exit 0; sleep 0.05; done; exit 1'
        undo: { shell: 'kill $(cat "\${ws}/listener.pid") && rm -f "\${ws}/listener.pid"' }
      - id: maybe_slow
        run: [sleep, "\${slow}"]
      - id: maybe_fail
        run: [sh, -c, 'echo "step output before failing"; exit $1', sh, "\${fail_step}"]
    verify:
      - { id: listener_up, tcp: "127.0.0.1:\${port}", expect: open }
      - { id: site_is_new, file: "\${host}/conf/site.xml", contains: "new" }
      - { id: verify_switch, run: [test, "\${fail_verify}", "=", "0"] }
    rollback:
      steps:
        - id: note
          shell: 'echo rolled back >> "\${ws}/rollback.log"'
    criteria: [ "config rewritten", "listener answers" ]
  - id: 3
    title: Append to the config
    backup: [conf]
    steps:
      - id: append
        shell: 'echo "<!-- phase 3 -->" >> "\${host}/conf/site.xml"'
        undo: { shell: 'sed -i "/phase 3/d" "\${host}/conf/site.xml"' }
    verify:
      - { id: appended, file: "\${host}/conf/site.xml", contains: "phase 3" }
`;

export function readState(ws: string): { current: number | null; runs: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(join(ws, 'migration', 'state.json'), 'utf8'));
}

/**
 * `phaseFixture()` for a test file, with the listener a phase starts killed after each test,
 * pass or fail.
 */
export function managedFixtures(): () => Promise<PhaseFixture> {
  const made: PhaseFixture[] = [];
  afterEach(() => {
    for (const f of made.splice(0)) {
      try {
        process.kill(Number(readFileSync(f.pidFile, 'utf8')), 'SIGKILL');
      } catch {}
    }
  });
  return async () => {
    const f = await phaseFixture();
    made.push(f);
    return f;
  };
}
