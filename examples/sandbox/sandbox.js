#!/usr/bin/env node
// A simulated Genropy host for gnr-migrate: real files in a temp folder, real processes, real
// ports on 127.0.0.1. See README.md beside this file.
//
//   import { createSandbox } from './examples/sandbox/sandbox.js';
//   const sb = await createSandbox();
//   spawn('gnr-migrate', ['phase', '0', '--yes', ...sb.varArgs()], { env: { ...process.env, ...sb.env } });
//   await sb.stop();
//
//   node examples/sandbox/sandbox.js up [DIR] [--fault SPEC] [--unreleased wsgi_bridge,resident_pages,nats] [--other-site] [--json]
//   node examples/sandbox/sandbox.js env DIR        the --var arguments and the env exports
//   node examples/sandbox/sandbox.js status DIR     what runs, on which port
//   node examples/sandbox/sandbox.js down DIR [--keep]   stop everything (and remove DIR)

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isAlive,
  killProcess,
  portOpen,
  readPid,
  rmrf,
  sandboxPaths,
  sleep,
  waitPort,
  which,
} from './lib/common.js';
import { names, writeLayout } from './lib/layout.js';

/**
 * @typedef {object} SandboxPorts
 * @property {number} nginx @property {number} gunicorn @property {number} async
 * @property {number} daemon @property {number} asgi @property {number} asgiGreen @property {number} nats
 */

/**
 * @typedef {object} Sandbox
 * @property {string} root the sandbox folder
 * @property {SandboxPorts} ports
 * @property {Record<string, string>} vars the default plan's vars, plus the ports as `gunicorn_port`, `async_port`
 * @property {Record<string, string>} env environment additions for gnr-migrate (PATH with the
 *   stand-ins first, GENRO_GNRFOLDER, GNR_SANDBOX_ROOT, NO_PROXY, and GNR_SANDBOX_FAULT when
 *   `faults` was given); spread over process.env
 * @property {ReturnType<typeof sandboxPaths> & { siteDir: string, instanceDir: string, projectDir: string, nginxSite: string }} paths
 * @property {() => string[]} varArgs `['--var', 'k=v', ...]` for every var of the default plan
 * @property {(opts?: { remove?: boolean }) => Promise<{ killed: number, open: number[] }>} stop
 *   kills every process the sandbox started; resolves once every sandbox port is closed
 */

/**
 * Free ports on 127.0.0.1: listen on port 0 (all at once, so they differ), note them, close.
 * examples/realhost picks its ports with it too.
 * @param {number} n
 * @returns {Promise<number[]>}
 */
export async function freePorts(n) {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((res, rej) => {
          const s = createServer();
          s.once('error', rej);
          s.listen(0, '127.0.0.1', () => res(s));
        }),
    ),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Builds a sandbox host and (unless `start: false`) starts its services the way the host would
 * at boot: supervisord's programs (gnrdaemon, gunicorn, gnrasync, the task scheduler and
 * worker), nginx and nats-server (systemd units). Resolves when the site answers through nginx.
 * `unreleased`: the capabilities upstream has not released that the sandbox should stand in for
 * (`wsgi_bridge`, `resident_pages`, `nats`); without them the plan's capability checks block,
 * as they do on a real host. They go into `sb.env` as GNR_SANDBOX_UNRELEASED.
 * @param {{ dir?: string, faults?: string, otherSite?: boolean, start?: boolean, timeoutMs?: number, unreleased?: string[] }} [options]
 * @returns {Promise<Sandbox>}
 */
export async function createSandbox(options = {}) {
  if (!which('python3', process.env.PATH) && !which('python', process.env.PATH))
    throw new Error(
      'the sandbox needs a real python3 on PATH: the default plan runs Python scripts (python3 -c)',
    );
  const root = options.dir ? resolve(options.dir) : mkdtempSync(join(tmpdir(), 'gnr-sandbox-'));
  mkdirSync(root, { recursive: true });
  if (readdirSync(root).length > 0) throw new Error(`sandbox folder ${root} is not empty`);
  const [nginx, gunicorn, async, daemon, asgi, asgiGreen, nats] = await freePorts(7);
  const ports = { nginx, gunicorn, async, daemon, asgi, asgiGreen, nats };
  const { P, siteDir, instanceDir, projectDir } = writeLayout(root, ports, { otherSite: options.otherSite });
  const nginxSite = join(P.nginxDir, `sites-available/${names.site}.conf`);

  // The genro-asgi docs' layout (TCP ports, one supervisord file per program in conf.d/):
  // the default plan's vars for it. The real host of ../shared/realhost has the other one.
  const planVars = {
    projects: P.projects,
    project: names.project,
    instance: names.instance,
    site: names.site,
    site_dir: siteDir,
    venv: join(root, 'venv'),
    python: 'python3',
    gnr: 'gnr',
    gunicorn_conf: join(siteDir, 'gunicorn.conf.py'),
    supervisor_dir: dirname(P.supervisorConf),
    supervisor_program_file: join(P.supervisorDir, 'gnrasgi.conf'),
    prog_daemon: 'gnrdaemon',
    prog_wsgi: 'gunicorn',
    prog_async: 'gnrasync',
    prog_asgi: 'gnrasgi',
    nginx_site: nginxSite,
    nginx_main_conf: P.nginxConf,
    wsgi_upstream: `http://127.0.0.1:${gunicorn}`,
    async_upstream: `http://127.0.0.1:${async}`,
    nginx_port: String(nginx),
    daemon_address: `127.0.0.1:${daemon}`,
    asgi_port: String(asgi),
    // Smaller numbers than production, so a run takes seconds.
    workers: '3',
    min_free_mb: '64',
    health_retries: '20',
    bench_requests: '200',
    soak_requests: '400',
    bench_min_ratio: '0.25',
  };
  // Not vars of the default plan (it reads the upstreams above), so never passed as --var (an
  // unknown --var is refused); kept in `vars` for plans and tests written against the
  // sandbox's ports (test/fleet).
  const portVars = { gunicorn_port: String(gunicorn), async_port: String(async) };
  const vars = { ...planVars, ...portVars };
  const env = sandboxEnv(P, options.faults, options.unreleased);
  writeFileSync(
    join(root, 'sandbox.json'),
    `${JSON.stringify({ root, ports, vars, env, created: new Date().toISOString() }, null, 2)}\n`,
  );

  const sandbox = {
    root,
    ports,
    vars,
    env,
    paths: { ...P, siteDir, instanceDir, projectDir, nginxSite },
    varArgs: () => Object.entries(planVars).flatMap(([k, v]) => ['--var', `${k}=${v}`]),
    stop: (opts) => stopSandbox(root, opts),
  };
  if (options.start === false) return sandbox;
  try {
    await startServices(P, env, ports, options.timeoutMs ?? 20_000);
  } catch (err) {
    await stopSandbox(root);
    throw err;
  }
  return sandbox;
}

function sandboxEnv(P, faults, unreleased) {
  const node = dirname(process.execPath);
  const path = [
    P.bin,
    node,
    ...(process.env.PATH ?? '').split(delimiter).filter((d) => d && d !== P.bin),
  ].join(delimiter);
  const noProxy = ['127.0.0.1', 'localhost', process.env.NO_PROXY].filter(Boolean).join(',');
  const env = {
    PATH: path,
    GENRO_GNRFOLDER: P.gnrcfg,
    GNR_SANDBOX_ROOT: P.root,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    PYTHONDONTWRITEBYTECODE: '1',
  };
  if (faults) env.GNR_SANDBOX_FAULT = faults;
  // Capabilities upstream has not released, stood in for only when asked (standins.js unreleased()).
  if (unreleased?.length) env.GNR_SANDBOX_UNRELEASED = unreleased.join(',');
  return env;
}

/** What the host's boot does: supervisord starts its programs, systemd nginx and nats-server. */
async function startServices(P, env, ports, timeoutMs) {
  const childEnv = { ...process.env, ...env };
  delete childEnv.GNR_SANDBOX_FAULT; // faults apply to the plan's commands, not to the boot
  const run = (program, args) => {
    const r = spawnSync(join(P.bin, program), args, { env: childEnv, encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0)
      throw new Error(
        `sandbox boot: ${program} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr || r.stdout}`,
      );
    return r.stdout;
  };
  run('supervisorctl', ['update']);
  run('systemctl', ['start', 'nginx']);
  run('systemctl', ['start', 'nats-server']);
  for (const [name, port] of [
    ['gnrdaemon', ports.daemon],
    ['gunicorn', ports.gunicorn],
    ['gnrasync', ports.async],
    ['nginx', ports.nginx],
    ['nats-server', ports.nats],
  ]) {
    if (!(await waitPort(port, { timeoutMs })))
      throw new Error(`sandbox boot: ${name} is not listening on 127.0.0.1:${port} (see ${join(P.logs)})`);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${ports.nginx}/`);
      if (res.status === 200) return;
    } catch {}
    if (Date.now() > deadline) throw new Error('sandbox boot: / through nginx never answered 200');
    await sleep(100);
  }
}

/** Every pid the sandbox knows: the registry of spawned daemons and every pid file under run/. */
function knownPids(root) {
  const P = sandboxPaths(root);
  const pids = new Set();
  try {
    for (const line of readFileSync(P.registry, 'utf8').split('\n'))
      if (Number(line) > 0) pids.add(Number(line));
  } catch {}
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      const full = join(dir, f);
      if (statSync(full).isDirectory()) walk(full);
      else if (f.endsWith('.pid')) {
        const pid = readPid(full);
        if (pid) pids.add(pid);
      }
    }
  };
  walk(P.run);
  return pids;
}

/** Linux backstop: processes whose environment carries GNR_SANDBOX_DAEMON=<root> (set only on daemons the sandbox spawned). */
function markedPids(root) {
  const pids = new Set();
  if (!existsSync('/proc')) return pids;
  const mark = Buffer.from(`GNR_SANDBOX_DAEMON=${root}\0`);
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!(pid > 0) || pid === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`);
      if (Buffer.concat([environ, Buffer.from('\0')]).includes(mark)) pids.add(pid);
    } catch {}
  }
  return pids;
}

/**
 * Stops every process the sandbox started, whatever state it is in, then waits (≤ 5 s) until
 * every port of the sandbox refuses connections.
 * @returns {Promise<{ killed: number, open: number[] }>}
 */
export async function stopSandbox(root, { remove = false } = {}) {
  let killed = 0;
  for (let round = 0; round < 3; round++) {
    const pids = new Set([...knownPids(root), ...markedPids(root)]);
    const alive = [...pids].filter((p) => p !== process.pid && isAlive(p));
    if (alive.length === 0) break;
    const results = await Promise.all(alive.map((p) => killProcess(p, 3000)));
    killed += results.filter(Boolean).length;
  }
  let ports = [];
  try {
    const info = JSON.parse(readFileSync(join(root, 'sandbox.json'), 'utf8'));
    ports = Object.values(info.ports);
  } catch {}
  const open = [];
  for (const port of ports) if (!(await waitPort(port, { open: false, timeoutMs: 5000 }))) open.push(port);
  if (remove && open.length === 0) rmrf(root);
  return { killed, open };
}

// ── CLI ───────────────────────────────────────────────────────────────────────────────────

async function cli(argv) {
  const [cmd, ...rest] = argv;
  const flag = (name) => rest.includes(name);
  const value = (name) => {
    const i = rest.indexOf(name);
    return i === -1 ? undefined : rest[i + 1];
  };
  const positional = rest.filter(
    (a, i) => !a.startsWith('--') && !(i > 0 && ['--fault', '--unreleased'].includes(rest[i - 1] ?? '')),
  );
  const dirArg = positional[0];
  const readInfo = (dir) => JSON.parse(readFileSync(join(resolve(dir), 'sandbox.json'), 'utf8'));
  const printEnv = (info) => {
    const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
    console.log('# environment for gnr-migrate (bash):');
    for (const [k, v] of Object.entries(info.env)) console.log(`export ${k}=${q(v)}`);
    console.log('# plan vars:');
    console.log(
      Object.entries(info.vars)
        .map(([k, v]) => `--var ${q(`${k}=${v}`)}`)
        .join(' '),
    );
  };
  switch (cmd) {
    case 'up': {
      const sb = await createSandbox({
        dir: dirArg,
        faults: value('--fault'),
        otherSite: flag('--other-site'),
        unreleased: value('--unreleased')?.split(',').filter(Boolean),
      });
      if (flag('--json'))
        console.log(JSON.stringify({ root: sb.root, ports: sb.ports, vars: sb.vars, env: sb.env }, null, 2));
      else {
        console.log(`sandbox Genropy host up in ${sb.root}`);
        for (const [k, v] of Object.entries(sb.ports)) console.log(`  ${k.padEnd(10)} 127.0.0.1:${v}`);
        printEnv(readInfo(sb.root));
        console.log(`# stop it with: node ${fileURLToPath(import.meta.url)} down ${sb.root}`);
      }
      return 0;
    }
    case 'env':
      printEnv(readInfo(dirArg ?? '.'));
      return 0;
    case 'status': {
      const info = readInfo(dirArg ?? '.');
      for (const [k, port] of Object.entries(info.ports))
        console.log(`${k.padEnd(10)} 127.0.0.1:${port}  ${(await portOpen(port)) ? 'open' : 'closed'}`);
      const pids = [...knownPids(info.root)].filter(isAlive);
      console.log(`processes: ${pids.length ? pids.join(' ') : 'none'}`);
      return 0;
    }
    case 'down': {
      if (!dirArg) throw new Error('usage: sandbox.js down DIR [--keep]');
      const root = realpathSync(resolve(dirArg));
      if (!existsSync(join(root, 'sandbox.json')))
        throw new Error(`${root} is not a sandbox (no sandbox.json)`);
      const r = await stopSandbox(root, { remove: !flag('--keep') });
      console.log(
        `stopped ${r.killed} process(es)${r.open.length ? `; ports still open: ${r.open.join(', ')}` : '; every port closed'}`,
      );
      return r.open.length ? 1 : 0;
    }
    default:
      console.error(
        'usage: sandbox.js up [DIR] [--fault SPEC] [--unreleased LIST] [--other-site] [--json] | env DIR | status DIR | down DIR [--keep]',
      );
      return 2;
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`sandbox: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
