// The programs of the sandbox host: `gnr`, `gnrasgiserve`, `genro-asgi`, `supervisorctl`, `nginx`,
// `systemctl`, `pip`, `python3`, `pytest`, `nats-server`. Each launcher in `<sandbox>/bin/` calls
// `main(name, argv)` with GNR_SANDBOX_ROOT set. They change the sandbox's files the way the real
// programs change a host's, print what the real ones print (near enough for an operator to
// recognise), and exit with the codes the real ones use.

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import {
  basePackages,
  catalog,
  daemonEntryPoints,
  findDist,
  findSite,
  hangForever,
  isAlive,
  killProcess,
  listDists,
  parseIni,
  readEnvironment,
  readPid,
  requirementName,
  rmrf,
  rootFromEnv,
  sandboxPaths,
  sleep,
  spawnDaemon,
  splitCommand,
  takeFault,
  which,
  writeDist,
} from './common.js';
import { loadConfig, NginxConfigError } from './nginxconf.js';

const out = (...lines) => process.stdout.write(`${lines.join('\n')}\n`);
const err = (...lines) => process.stderr.write(`${lines.join('\n')}\n`);

/** Prints lines with `print` (out or err) and returns the exit code. */
const said = (print, code, ...lines) => {
  print(...lines);
  return code;
};

class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}
const exit = (code) => {
  throw new Exit(code);
};

/** Entry point of every launcher. */
export async function main(name, argv) {
  const root = rootFromEnv();
  const P = sandboxPaths(root);
  const fault = takeFault(root, name, argv);
  if (fault === 'slow') await sleep(3000);
  if (fault === 'hang' && !serverStandIns.has(name)) await hangForever();
  const impl = standIns[name];
  if (!impl) {
    err(`${name}: no such sandbox stand-in`);
    process.exit(127);
  }
  try {
    const code = await impl({ P, argv, fault });
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    if (e instanceof Exit) process.exitCode = e.code;
    else {
      err(`${name} (sandbox): ${e?.stack ?? e}`);
      process.exitCode = 1;
    }
  }
}

/** Stand-ins that may run as servers: for them `hang` means "never listens", decided later. */
const serverStandIns = new Set(['gnr', 'gnrasgiserve', 'genro-asgi', 'nginx', 'nats-server']);

/** Tiny option reader: `-p 8080`, `--port 8080`, `--port=8080`, flags, positionals. */
function options(argv, { values = [], flags = [] } = {}) {
  const opts = {};
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const key = eq > 0 ? a.slice(0, eq) : a;
    if (values.includes(key)) {
      opts[key] = eq > 0 ? a.slice(eq + 1) : argv[++i];
    } else if (flags.includes(key)) opts[key] = true;
    else pos.push(a);
  }
  return { opts, pos };
}

const installed = (P, pkg) => findDist(P.sitePackages, pkg) !== null;

function requirePackage(P, pkg, program) {
  if (!installed(P, pkg)) {
    err(`${program}: command not found (the ${pkg} package is not installed in the site's Python)`);
    exit(127);
  }
}

// ── gnr ───────────────────────────────────────────────────────────────────────────────────

async function gnr({ P, argv, fault }) {
  const [group, cmd, ...rest] = argv;
  if (group === '--version' || group === '-v') return said(out, 0, 'gnr 24.11.1 (sandbox)');
  if (group === 'dev' && cmd === 'tests') {
    // The real `gnr dev tests` reports failures but always exits 0: checklists call pytest.
    out('gnr dev tests: running the test suite...', 'see pytest output above', 'done');
    return 0;
  }
  if (group !== 'web') {
    err('usage: gnr {web,dev,app,db,...} COMMAND [options]');
    return 2;
  }
  const servers = await import('./servers.js');
  switch (cmd) {
    case 'daemon': {
      const { opts, pos } = options(rest, {
        values: ['-C', '--command', '-H', '--host', '-P', '--port', '-n', '--sitename'],
        flags: ['-s', '--savestatus'],
      });
      const command = opts['-C'] ?? opts['--command'];
      const env = readEnvironment();
      const host = opts['-H'] ?? opts['--host'] ?? env.host;
      const port = Number(opts['-P'] ?? opts['--port'] ?? env.port);
      if (!command || command === 'start') {
        if (fault === 'fail') {
          err(
            'Traceback (most recent call last):',
            `OSError: [Errno 98] Address already in use: ('${host}', ${port})`,
          );
          return 1;
        }
        if (fault === 'hang') return hangForever();
        await servers.runGnrDaemon({ host, port, sites: pos });
        return undefined;
      }
      if (fault === 'hang') return hangForever();
      if (fault === 'fail') {
        err(
          'Traceback (most recent call last):',
          `Pyro4.errors.CommunicationError: cannot connect to ('${host}', ${port}): [Errno 111] Connection refused`,
        );
        return 1;
      }
      const savestatus = Boolean(opts['-s'] || opts['--savestatus']);
      try {
        if (command === 'stop') {
          out(`savestatus ${savestatus ? 'True' : 'False'}`);
          const result = await servers.daemonCall(
            'stop',
            { saveStatus: savestatus, corrupt: fault === 'corrupt' },
            { host, port },
          );
          out(result ? 'True' : 'False');
        } else if (command === 'siteRegisters') {
          const sites = await servers.daemonCall('siteRegisters', {}, { host, port });
          out(`[${sites.map((s) => `'${s}'`).join(', ')}]`);
        } else {
          const result = await servers.daemonCall(command, {}, { host, port });
          out(typeof result === 'string' ? result : JSON.stringify(result));
        }
        return 0;
      } catch (e) {
        err('Traceback (most recent call last):', e.message);
        return 1;
      }
    }
    case 'serveprod': {
      const { opts, pos } = options(rest, {
        values: ['-c', '--config', '-b', '--bind', '-w', '--workers'],
        flags: ['--debug'],
      });
      const instance = pos[0];
      const site = instance ? findSite(instance) : null;
      if (!site) {
        err(`gnr web serveprod: no site or instance named ${JSON.stringify(instance)}`);
        return 1;
      }
      let bind = opts['-b'] ?? opts['--bind'];
      const conf = opts['-c'] ?? opts['--config'];
      if (!bind && conf) {
        const text = readFileSync(conf, 'utf8');
        bind = /^bind\s*=\s*["']([^"']+)["']/m.exec(text)?.[1];
      }
      if (!bind) bind = '127.0.0.1:8000';
      if (fault === 'fail') {
        err(`[ERROR] Worker failed to boot: ImportError in site ${site.name}`);
        return 3;
      }
      if (fault === 'hang') return hangForever();
      await servers.runSiteServer({
        kind: 'wsgi',
        address: bindAddress(bind),
        site,
        inProcess: daemonEntryPoints(P.sitePackages) > 0,
      });
      return undefined;
    }
    case 'async': {
      const { opts, pos } = options(rest, { values: ['-p', '--port', '-H', '--host', '-S', '--socket'] });
      const site = pos[0] ? findSite(pos[0]) : null;
      if (!site) {
        err(`gnr web async: no site named ${JSON.stringify(pos[0])}`);
        return 1;
      }
      if (fault === 'fail') return said(err, 1, 'tornado: [Errno 98] Address already in use');
      if (fault === 'hang') return hangForever();
      const sock = opts['-S'] ?? opts['--socket'];
      const address = sock
        ? { path: sock }
        : { host: '127.0.0.1', port: Number(opts['-p'] ?? opts['--port'] ?? 9999) };
      await servers.runAsyncServer({ address, site });
      return undefined;
    }
    case 'taskscheduler':
    case 'taskworker': {
      if (fault === 'fail') return said(err, 1, `gnr${cmd}: cannot connect to the database`);
      await servers.runIdle(`gnr${cmd} ${rest[0] ?? ''}`);
      return undefined;
    }
    default:
      err(`gnr web: unknown command ${cmd}`);
      return 2;
  }
}

function bindAddress(bind) {
  if (bind.startsWith('unix:')) return { path: bind.slice(5) };
  const m = /^(?:([^:]+):)?(\d+)$/.exec(bind);
  return {
    host: m?.[1] && m[1] !== '0.0.0.0' && m[1] !== 'localhost' ? m[1] : '127.0.0.1',
    port: Number(m?.[2] ?? 8000),
  };
}

// ── gnrasgiserve (genropy-asgi) and genro-asgi ─────────────────────────────────────────────

async function gnrasgiserve({ P, argv, fault }) {
  requirePackage(P, 'genropy-asgi', 'gnrasgiserve');
  const { opts, pos } = options(argv, {
    values: ['-p', '--port', '--workers', '-w', '--host', '-H', '--config'],
    flags: ['--nodebug', '--debug'],
  });
  const name = pos[0] ?? process.env.GNR_ASGI_SITE;
  const site = name ? findSite(name) : null;
  if (!site) {
    err(`gnrasgiserve: no site or instance named ${JSON.stringify(name)}`);
    return 2;
  }
  const port = Number(opts['-p'] ?? opts['--port'] ?? process.env.GNR_ASGI_PORT ?? 8080);
  let workers = Number(opts['--workers'] ?? opts['-w'] ?? process.env.GNR_ASGI_WORKERS ?? 0);
  if (!Number.isInteger(workers) || workers < 0) {
    err(`gnrasgiserve: --workers must be a whole number, got ${workers}`);
    return 2;
  }
  workers = Math.max(1, workers); // 0 = one process
  const lifecycleName = process.env.GNR_ASGI_PAGES ?? 'ephemeral';
  if (!['ephemeral', 'resident'].includes(lifecycleName)) {
    err(`gnrasgiserve: GNR_ASGI_PAGES must be ephemeral or resident, got ${lifecycleName}`);
    return 2;
  }
  const ttl = process.env.GNR_ASGI_PAGE_TTL ? Number(process.env.GNR_ASGI_PAGE_TTL) : null;
  const max = process.env.GNR_ASGI_MAX_PAGES ? Number(process.env.GNR_ASGI_MAX_PAGES) : null;
  if (fault === 'fail') {
    err('Traceback (most recent call last):', `RuntimeError: site ${site.name} failed to boot in the worker`);
    return 1;
  }
  if (fault === 'hang') {
    console.log(`gnrasgiserve: booting site ${site.name}... (sandbox fault: hangs, never listens)`);
    return hangForever();
  }
  const eps = daemonEntryPoints(P.sitePackages);
  if (eps > 1) console.log(`WARNING: ${eps} gnr.web:daemon entry points installed; the first one wins`);
  const servers = await import('./servers.js');
  await servers.runSiteServer({
    kind: 'bridge',
    address: { host: opts['--host'] ?? opts['-H'] ?? '127.0.0.1', port },
    site,
    inProcess: true,
    workers,
    pages: { lifecycle: lifecycleName, ttl, max },
    nats: process.env.GNR_ASGI_NATS_URL || null,
    errorNoise: fault === 'corrupt',
  });
  return undefined;
}

async function genroAsgi({ P, argv, fault }) {
  requirePackage(P, 'genro-asgi', 'genro-asgi');
  const [cmd, ...rest] = argv;
  if (cmd !== 'serve') {
    err('usage: genro-asgi {serve,apps,stop,remove} ...');
    return 2;
  }
  const { opts, pos } = options(rest, {
    values: ['--host', '--port', '--name'],
    flags: ['--reload', '--debug'],
  });
  const source = pos[0];
  if (!source || !existsSync(source)) {
    err(
      `genro-asgi: cannot serve ${JSON.stringify(source)}: not an existing config.py path, not an 'application=<target>' assignment`,
    );
    return 1;
  }
  const { projects } = readEnvironment();
  const { listSites } = await import('./common.js');
  const site = listSites(projects).find((s) => s.dir === dirname(resolve(source)));
  if (!site) {
    err(`genro-asgi: ${source} is not in a Genropy site folder (no root.py beside it)`);
    return 1;
  }
  if (fault === 'fail') return said(err, 1, `genro-asgi: ImportError while loading ${source}`);
  if (fault === 'hang') return hangForever();
  const port = Number(opts['--port'] ?? 8000);
  console.log(`genro-asgi serving http://${opts['--host'] ?? '127.0.0.1'}:${port}`);
  const servers = await import('./servers.js');
  await servers.runSiteServer({
    kind: 'front',
    address: { host: '127.0.0.1', port },
    site,
    inProcess: daemonEntryPoints(P.sitePackages) > 0,
  });
  return undefined;
}

// ── supervisorctl (no supervisord: the stand-in keeps supervisord's state in run/) ────────

function supervisorFiles(P) {
  const conf = parseIni(readFileSync(P.supervisorConf, 'utf8'));
  const patterns = (conf.include?.files ?? '').split(/\s+/).filter(Boolean);
  const files = [];
  for (const pattern of patterns) {
    const full = resolve(dirname(P.supervisorConf), pattern);
    const dir = dirname(full);
    const re = new RegExp(
      `^${basename(full)
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')}$`,
    );
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (re.test(f)) files.push(join(dir, f));
  }
  return files;
}

function parseEnvironment(value) {
  const env = {};
  for (const m of (value ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|'([^']*)'|([^,]*))/g))
    env[m[1]] = m[2] ?? m[3] ?? m[4] ?? '';
  return env;
}

/** The programs the conf files define now: name → normalised config. Throws CANT_REREAD text. */
function readPrograms(P) {
  const programs = {};
  for (const file of supervisorFiles(P)) {
    let sections;
    try {
      sections = parseIni(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`CANT_REREAD: ${e.message} (file: '${file}')`);
    }
    for (const [section, kv] of Object.entries(sections)) {
      if (!section.startsWith('program:')) continue;
      const name = section.slice(8);
      if (programs[name]) throw new Error(`CANT_REREAD: program ${name} is defined twice (file: '${file}')`);
      if (!kv.command)
        throw new Error(
          `CANT_REREAD: program section ${section} does not specify a command (file: '${file}')`,
        );
      programs[name] = {
        command: kv.command,
        directory: kv.directory ?? null,
        environment: parseEnvironment(kv.environment),
        autostart: (kv.autostart ?? 'true') !== 'false',
        startsecs: Number(kv.startsecs ?? 1),
        stopwaitsecs: Number(kv.stopwaitsecs ?? 10),
        stdout_logfile: kv.stdout_logfile ?? null,
        priority: Number(kv.priority ?? 999),
      };
    }
  }
  return programs;
}

function loadState(P) {
  try {
    return JSON.parse(readFileSync(join(P.supervisorRun, 'state.json'), 'utf8'));
  } catch {
    return { programs: {} };
  }
}
function saveState(P, state) {
  mkdirSync(P.supervisorRun, { recursive: true });
  writeFileSync(join(P.supervisorRun, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}
const pidFileOf = (P, name) => join(P.supervisorRun, `${name}.pid`);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function startProgram(P, state, name) {
  const prog = state.programs[name];
  const pid = readPid(pidFileOf(P, name));
  if (isAlive(pid)) return { ok: false, line: `${name}: ERROR (already started)` };
  const logFile = prog.config.stdout_logfile ?? join(P.logs, 'supervisor', `${name}.log`);
  const argv = splitCommand(prog.config.command);
  const newPid = spawnDaemon({
    root: P.root,
    argv,
    cwd: prog.config.directory ?? P.root,
    env: { ...process.env, ...prog.config.environment, SUPERVISOR_PROCESS_NAME: name },
    logFile,
    pidFile: pidFileOf(P, name),
  });
  const deadline = Date.now() + Math.max(0, prog.config.startsecs) * 1000;
  while (Date.now() < deadline) {
    if (!isAlive(newPid)) break;
    await sleep(50);
  }
  if (!isAlive(newPid)) {
    prog.status = 'FATAL';
    rmrf(pidFileOf(P, name));
    return { ok: false, line: `${name}: ERROR (spawn error)` };
  }
  prog.status = 'RUNNING';
  prog.started = Date.now();
  return { ok: true, line: `${name}: started` };
}

async function stopProgram(P, state, name) {
  const prog = state.programs[name];
  const pid = readPid(pidFileOf(P, name));
  if (!isAlive(pid)) {
    rmrf(pidFileOf(P, name));
    if (prog) prog.status = prog.status === 'RUNNING' ? 'EXITED' : (prog.status ?? 'STOPPED');
    return { ok: false, line: `${name}: ERROR (not running)` };
  }
  await killProcess(pid, (prog?.config.stopwaitsecs ?? 10) * 1000);
  rmrf(pidFileOf(P, name));
  if (prog) prog.status = 'STOPPED';
  return { ok: true, line: `${name}: stopped` };
}

async function supervisorctl({ P, argv, fault }) {
  const rest = [...argv];
  const ci = rest.indexOf('-c');
  if (ci !== -1) rest.splice(ci, 2); // `-c <supervisord.conf>`: the sandbox has one
  const [cmd, ...names] = rest;
  if (fault === 'fail') {
    err(
      "error: <class 'ConnectionRefusedError'>, [Errno 111] Connection refused: file: /usr/lib/python3/dist-packages/supervisor/xmlrpc.py line: 560",
    );
    return 1;
  }
  if (fault === 'corrupt') {
    const files = supervisorFiles(P);
    const target = files.find((f) => names.some((n) => basename(f).startsWith(n))) ?? files[0];
    if (target) writeFileSync(target, `${readFileSync(target, 'utf8').slice(0, 40)}\n[program\ncommand\n`);
  }
  const state = loadState(P);
  let current;
  const reread = () => {
    current = readPrograms(P);
    const added = Object.keys(current).filter((n) => !state.programs[n]);
    const changed = Object.keys(current).filter(
      (n) => state.programs[n] && !same(state.programs[n].config, current[n]),
    );
    const removed = Object.keys(state.programs).filter((n) => !current[n]);
    return { added, changed, removed };
  };
  try {
    switch (cmd) {
      case 'reread': {
        const { added, changed, removed } = reread();
        if (!added.length && !changed.length && !removed.length) out('No config updates to processes');
        for (const n of added) out(`${n}: available`);
        for (const n of changed) out(`${n}: changed`);
        for (const n of removed) out(`${n}: disappeared`);
        return 0;
      }
      case 'update': {
        const { added, changed, removed } = reread();
        const only = names.filter((n) => n !== 'all');
        const pick = (list) => (only.length ? list.filter((n) => only.includes(n)) : list);
        let ok = true;
        // In the order given (a daemon before the servers that need it), else removed, changed, added.
        const byPriority = (list) =>
          [...list].sort((a, b) => (current[a]?.priority ?? 999) - (current[b]?.priority ?? 999));
        const order = only.length ? only : [...removed, ...byPriority(changed), ...byPriority(added)];
        for (const n of order) {
          if (pick(removed).includes(n)) {
            if (isAlive(readPid(pidFileOf(P, n)))) out((await stopProgram(P, state, n)).line);
            delete state.programs[n];
            out(`${n}: removed process group`);
          } else if (pick(changed).includes(n)) {
            if (isAlive(readPid(pidFileOf(P, n)))) out((await stopProgram(P, state, n)).line);
            state.programs[n] = { config: current[n], status: 'STOPPED' };
            out(`${n}: updated process group`);
            if (current[n].autostart) {
              const r = await startProgram(P, state, n);
              if (!r.ok) out(r.line);
              ok &&= r.ok;
            }
          } else if (pick(added).includes(n)) {
            state.programs[n] = { config: current[n], status: 'STOPPED' };
            out(`${n}: added process group`);
            if (current[n].autostart) {
              const r = await startProgram(P, state, n);
              if (!r.ok) out(r.line);
              ok &&= r.ok;
            }
          } else if (only.includes(n) && !current[n] && !state.programs[n]) {
            out(`${n}: ERROR (no such group)`);
            ok = false;
          }
        }
        saveState(P, state);
        return ok ? 0 : 1;
      }
      case 'start':
      case 'stop':
      case 'restart': {
        const targets = names.includes('all') ? Object.keys(state.programs) : names;
        if (targets.length === 0) {
          err(`Error: ${cmd} requires a process name`);
          return 2;
        }
        let ok = true;
        for (const n of targets) {
          if (!state.programs[n]) {
            out(`${n}: ERROR (no such process)`);
            ok = false;
            continue;
          }
          if (cmd !== 'start') {
            const r = await stopProgram(P, state, n);
            if (cmd === 'stop') {
              out(r.line);
              ok &&= r.ok;
            } else if (r.ok) out(r.line);
          }
          if (cmd !== 'stop') {
            const r = await startProgram(P, state, n);
            out(r.line);
            ok &&= r.ok;
          }
        }
        saveState(P, state);
        return ok ? 0 : 1;
      }
      case 'status': {
        const targets = names.length ? names : Object.keys(state.programs).sort();
        let code = 0;
        for (const n of targets) {
          const prog = state.programs[n];
          if (!prog) {
            out(`${n}: ERROR (no such process)`);
            code = 4;
            continue;
          }
          const pid = readPid(pidFileOf(P, n));
          if (isAlive(pid)) {
            const up = Math.round((Date.now() - (prog.started ?? Date.now())) / 1000);
            const hms = `${Math.floor(up / 3600)}:${String(Math.floor((up % 3600) / 60)).padStart(2, '0')}:${String(up % 60).padStart(2, '0')}`;
            out(`${n.padEnd(33)}RUNNING   pid ${pid}, uptime ${hms}`);
          } else {
            const status = prog.status === 'RUNNING' ? 'EXITED' : (prog.status ?? 'STOPPED');
            out(
              `${n.padEnd(33)}${status.padEnd(10)}${status === 'STOPPED' ? 'Not started' : new Date().toUTCString()}`,
            );
            code = Math.max(code, 3);
          }
        }
        return code;
      }
      case 'pid': {
        const pid = readPid(pidFileOf(P, names[0] ?? ''));
        out(isAlive(pid) ? String(pid) : '0');
        return isAlive(pid) ? 0 : 1;
      }
      case 'avail': {
        current = readPrograms(P);
        for (const n of Object.keys(current).sort())
          out(`${n.padEnd(33)}${state.programs[n] ? 'in use' : 'avail'}    auto      999:999`);
        return 0;
      }
      default:
        err(`*** Unknown syntax: ${argv.join(' ')}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof Exit) throw e;
    if (String(e.message).startsWith('CANT_REREAD')) {
      out(`ERROR: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

// ── nginx ─────────────────────────────────────────────────────────────────────────────────

function nginxSiteFiles(P) {
  const dir = join(P.nginxDir, 'sites-enabled');
  return existsSync(dir)
    ? readdirSync(dir)
        .sort()
        .map((f) => join(dir, f))
    : [];
}

async function nginx({ P, argv, fault }) {
  const { opts } = options(argv, { values: ['-c', '-s', '-g', '-p'], flags: ['-t', '-T', '-q', '-v', '-V'] });
  const conf = opts['-c'] ?? P.nginxConf;
  if (opts['-v'] || opts['-V']) return said(err, 0, 'nginx version: nginx/1.24.0 (sandbox)');
  if ((opts['-t'] || opts['-T'] || opts['-s']) && fault === 'hang') return hangForever();
  if (opts['-t'] || opts['-T']) {
    if (fault === 'corrupt') {
      // A half-written site file, as a botched edit or a full disk leaves it.
      for (const f of nginxSiteFiles(P)) {
        const real = realpathSync(f);
        truncateSync(real, Math.floor(statSync(real).size / 2));
      }
    }
    try {
      if (fault === 'fail')
        throw new NginxConfigError(`unknown directive "proxy_passs" in ${nginxSiteFiles(P)[0] ?? conf}:12`);
      loadConfig(conf);
    } catch (e) {
      if (!(e instanceof NginxConfigError)) throw e;
      err(`nginx: [emerg] ${e.message}`, `nginx: configuration file ${conf} test failed`);
      return 1;
    }
    if (!opts['-q'])
      err(
        `nginx: the configuration file ${conf} syntax is ok`,
        `nginx: configuration file ${conf} test is successful`,
      );
    return 0;
  }
  if (opts['-s']) {
    let pidFile;
    try {
      pidFile = loadConfig(conf).pid ?? P.nginxPid;
    } catch (e) {
      err(`nginx: [emerg] ${e.message}`);
      return 1;
    }
    const pid = readPid(pidFile);
    if (!isAlive(pid)) {
      err(`nginx: [error] open() "${pidFile}" failed (2: No such file or directory)`);
      return 1;
    }
    if (fault === 'fail')
      return said(err, 1, `nginx: [alert] kill(${pid}, 1) failed (1: Operation not permitted)`);
    const sig = { reload: 'SIGHUP', stop: 'SIGTERM', quit: 'SIGQUIT', reopen: 'SIGUSR1' }[opts['-s']];
    if (!sig) return said(err, 1, `nginx: invalid option: "-s ${opts['-s']}"`);
    process.kill(pid, sig);
    return 0;
  }
  // Start. `-g 'daemon off;'` runs the master in the foreground (as systemd's unit does).
  if (fault === 'fail')
    return said(err, 1, 'nginx: [emerg] bind() to 127.0.0.1 failed (98: Address already in use)');
  if (fault === 'hang') return hangForever();
  try {
    loadConfig(conf);
  } catch (e) {
    err(`nginx: [emerg] ${e.message}`);
    return 1;
  }
  if (!/daemon\s+off/.test(opts['-g'] ?? '')) {
    spawnDaemon({
      root: P.root,
      argv: [join(P.bin, 'nginx'), '-c', conf, '-g', 'daemon off;'],
      env: process.env,
      logFile: join(P.logs, 'nginx/master.log'),
      pidFile: null,
    });
    return 0;
  }
  const servers = await import('./servers.js');
  await servers.runNginx({ confFile: conf });
  return undefined;
}

// ── systemctl ─────────────────────────────────────────────────────────────────────────────

async function systemctl({ P, argv, fault }) {
  const args = argv.filter((a) => !a.startsWith('--'));
  const [cmd, ...units] = args;
  const unitName = (u) => (u.includes('.') ? u : `${u}.service`);
  const unitFile = (u) => join(P.systemdDir, unitName(u));
  const pidFile = (u) => join(P.systemdRun, `${unitName(u)}.pid`);
  const readUnit = (u) => {
    const f = unitFile(u);
    if (!existsSync(f)) return null;
    return parseIni(readFileSync(f, 'utf8'));
  };
  const active = (u) => isAlive(readPid(pidFile(u)));
  if (cmd === 'daemon-reload') return 0;
  if (!cmd || units.length === 0) {
    err(`Too few arguments.`);
    return 1;
  }
  let code = 0;
  for (const u of units) {
    const unit = readUnit(u);
    if (!unit) {
      err(
        `${cmd === 'status' ? `Unit ${unitName(u)} could not be found.` : `Failed to ${cmd} ${unitName(u)}: Unit ${unitName(u)} not found.`}`,
      );
      code = cmd === 'status' ? 4 : 5;
      continue;
    }
    if (fault === 'fail' && cmd !== 'status' && cmd !== 'is-active') {
      err(
        `Job for ${unitName(u)} failed because the control process exited with error code.`,
        `See "systemctl status ${unitName(u)}" and "journalctl -xeu ${unitName(u)}" for details.`,
      );
      code = 1;
      continue;
    }
    const svc = unit.Service ?? {};
    const start = async () => {
      if (active(u)) return true;
      const argv2 = splitCommand(svc.ExecStart ?? '');
      const pid = spawnDaemon({
        root: P.root,
        argv: argv2,
        env: process.env,
        logFile: join(P.logs, 'journal', `${unitName(u)}.log`),
        pidFile: pidFile(u),
      });
      await sleep(300);
      if (!isAlive(pid)) {
        rmrf(pidFile(u));
        err(
          `Job for ${unitName(u)} failed because the control process exited with error code.`,
          `See "systemctl status ${unitName(u)}" and "journalctl -xeu ${unitName(u)}" for details.`,
        );
        return false;
      }
      return true;
    };
    const stop = async () => {
      const pid = readPid(pidFile(u));
      if (isAlive(pid)) await killProcess(pid, 10_000);
      rmrf(pidFile(u));
    };
    switch (cmd) {
      case 'start':
        if (!(await start())) code = 1;
        break;
      case 'stop':
        await stop();
        break;
      case 'restart':
        await stop();
        if (!(await start())) code = 1;
        break;
      case 'reload':
      case 'reload-or-restart': {
        if (!active(u)) {
          if (cmd === 'reload-or-restart') {
            if (!(await start())) code = 1;
            break;
          }
          err(`${unitName(u)} is not active, cannot reload.`);
          code = 1;
          break;
        }
        if (!svc.ExecReload) {
          err(`Failed to reload ${unitName(u)}: Job type reload is not applicable for unit ${unitName(u)}.`);
          code = 1;
          break;
        }
        const [prog, ...rest] = splitCommand(
          svc.ExecReload.replace(/\$MAINPID/g, String(readPid(pidFile(u)))),
        );
        const r = spawnSync(which(prog, process.env.PATH) ?? prog, rest, {
          stdio: ['ignore', 'inherit', 'inherit'],
          env: process.env,
        });
        if (r.status !== 0) {
          err(`Job for ${unitName(u)} failed because the control process exited with error code.`);
          code = 1;
        }
        break;
      }
      case 'is-active':
        out(active(u) ? 'active' : 'inactive');
        if (!active(u)) code = 3;
        break;
      case 'status': {
        const pid = readPid(pidFile(u));
        out(
          `● ${unitName(u)} - ${unit.Unit?.Description ?? u}`,
          `     Loaded: loaded (${unitFile(u)}; enabled)`,
        );
        out(
          active(u) ? `     Active: active (running)\n   Main PID: ${pid}` : '     Active: inactive (dead)',
        );
        if (!active(u)) code = 3;
        break;
      }
      case 'enable':
      case 'disable':
        out(cmd === 'enable' ? `Created symlink ${unitFile(u)}.` : `Removed ${unitFile(u)}.`);
        break;
      case 'is-enabled':
        out('enabled');
        break;
      default:
        err(`Unknown command verb ${cmd}.`);
        return 1;
    }
  }
  return code;
}

// ── pip (and python3 -m pip) ──────────────────────────────────────────────────────────────

function pip({ P, argv, fault }) {
  const [cmd, ...rest] = argv.filter(
    (a) => a !== '-q' && a !== '--quiet' && a !== '--disable-pip-version-check',
  );
  const { opts, pos } = options(rest, {
    values: [],
    flags: ['-y', '--yes', '-U', '--upgrade', '--no-deps', '--user'],
  });
  switch (cmd) {
    case '--version':
    case '-V':
      out(`pip 24.2 from ${P.sitePackages}/pip (python 3.11)`);
      return 0;
    case 'check': {
      if (fault === 'fail') {
        out('genropy 24.11.1 has requirement tornado>=6.3, but you have tornado 5.1.1.');
        return 1;
      }
      const dists = listDists(P.sitePackages);
      const names = new Set(dists.map((d) => d.name.toLowerCase().replace(/[-_.]+/g, '-')));
      const problems = [];
      for (const d of dists) {
        if (d.broken) problems.push(`${d.name} has an invalid METADATA file.`);
        for (const r of d.requires ?? []) {
          const n = requirementName(r)
            .toLowerCase()
            .replace(/[-_.]+/g, '-');
          if (!names.has(n))
            problems.push(`${d.name} ${d.version} requires ${requirementName(r)}, which is not installed.`);
        }
      }
      if (problems.length) {
        out(...problems);
        return 1;
      }
      out('No broken requirements found.');
      return 0;
    }
    case 'install': {
      if (fault === 'fail') {
        err(
          `ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: '${P.sitePackages}'`,
        );
        return 1;
      }
      const wanted = pos.filter((p) => !p.startsWith('-'));
      if (wanted.length === 0)
        return said(err, 1, 'ERROR: You must give at least one requirement to install');
      const toInstall = [];
      const add = (req) => {
        const name = requirementName(req);
        const known = catalog[name] ?? catalog[name.toLowerCase()];
        if (!known) {
          err(
            `ERROR: Could not find a version that satisfies the requirement ${req} (from versions: none)`,
            `ERROR: No matching distribution found for ${name}`,
          );
          exit(1);
        }
        if (installed(P, name) && !opts['-U'] && !opts['--upgrade']) {
          out(
            `Requirement already satisfied: ${name} in ${P.sitePackages} (${findDist(P.sitePackages, name).version})`,
          );
          return;
        }
        if (toInstall.some((t) => t.name === name)) return;
        out(
          `Collecting ${name}`,
          `  Using cached ${name.replace(/-/g, '_')}-${known.version}-py3-none-any.whl`,
        );
        if (!opts['--no-deps']) for (const dep of known.requires) add(dep);
        toInstall.push({ name, ...known });
      };
      for (const w of wanted) add(w);
      if (toInstall.length === 0) return 0;
      out(`Installing collected packages: ${toInstall.map((t) => t.name).join(', ')}`);
      for (const t of toInstall) {
        const dir = writeDist(P.sitePackages, t.name, t);
        if (fault === 'corrupt') rmrf(join(dir, 'METADATA'));
      }
      out(`Successfully installed ${toInstall.map((t) => `${t.name}-${t.version}`).join(' ')}`);
      return 0;
    }
    case 'uninstall': {
      if (fault === 'fail') {
        err(`ERROR: Exception: PermissionError: [Errno 13] Permission denied: '${P.sitePackages}'`);
        return 1;
      }
      for (const name of pos) {
        const d = findDist(P.sitePackages, name);
        if (!d) {
          out(`WARNING: Skipping ${name} as it is not installed.`);
          continue;
        }
        out(`Found existing installation: ${d.name} ${d.version}`, `Uninstalling ${d.name}-${d.version}:`);
        if (!opts['-y'] && !opts['--yes']) {
          out(`  Would remove:\n    ${d.dir}`, 'Proceed (Y/n)? ');
          err('ERROR: no answer on stdin (use -y)');
          return 1;
        }
        rmrf(d.dir);
        out(`  Successfully uninstalled ${d.name}-${d.version}`);
      }
      return 0;
    }
    case 'list':
    case 'freeze': {
      const dists = listDists(P.sitePackages).sort((a, b) => a.name.localeCompare(b.name));
      if (cmd === 'list') out('Package        Version', '-------------- -------');
      for (const d of dists)
        out(cmd === 'list' ? `${d.name.padEnd(15)}${d.version}` : `${d.name}==${d.version}`);
      return 0;
    }
    case 'show': {
      let code = 0;
      for (const name of pos) {
        const d = findDist(P.sitePackages, name);
        if (!d) {
          err(`WARNING: Package(s) not found: ${name}`);
          code = 1;
          continue;
        }
        out(
          `Name: ${d.name}`,
          `Version: ${d.version}`,
          `Location: ${P.sitePackages}`,
          `Requires: ${(d.requires ?? []).map(requirementName).join(', ')}`,
        );
      }
      return code;
    }
    default:
      err(`ERROR: unknown command "${cmd}"`);
      return 1;
  }
}

// ── python3: `-m pip`, `-m pytest` here; anything else runs the real python3 ──────────────

function python({ P, argv, fault }) {
  if (argv[0] === '-m' && argv[1] === 'pip')
    return pip({ P, argv: argv.slice(2), fault: takeFault(P.root, 'pip', argv.slice(2)) ?? fault });
  if (argv[0] === '-m' && argv[1] === 'pytest')
    return pytest({ P, argv: argv.slice(2), fault: takeFault(P.root, 'pytest', argv.slice(2)) ?? fault });
  if (fault === 'fail')
    return said(err, 1, 'Traceback (most recent call last):', 'ModuleNotFoundError: No module named gnr');
  const real = which('python3', process.env.PATH, P.bin) ?? which('python', process.env.PATH, P.bin);
  if (!real) {
    err(`python3 (sandbox): no real python3 on PATH to run: python3 ${argv.join(' ').slice(0, 80)}`);
    return 127;
  }
  // The site's Python: the real interpreter, with the sandbox's site-packages first, so
  // importlib.metadata sees exactly what `pip install` put there.
  const env = {
    ...process.env,
    PYTHONPATH: [P.sitePackages, process.env.PYTHONPATH].filter(Boolean).join(':'),
    PYTHONNOUSERSITE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const r = spawnSync(real, argv, { stdio: 'inherit', env });
  if (r.error) {
    err(`python3 (sandbox): ${r.error.message}`);
    return 127;
  }
  return r.status ?? 1;
}

// ── pytest ────────────────────────────────────────────────────────────────────────────────

function pytest({ argv, fault }) {
  const { pos } = options(argv, {
    values: ['-p', '-k', '-m', '--rootdir', '-o', '--junitxml'],
    flags: ['-q', '-x', '-v', '-s', '--tb=short'],
  });
  const paths = pos.filter((p) => !p.startsWith('-'));
  const files = [];
  const walk = (p) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) walk(join(p, f));
    } else if (/^test_.*\.py$|_test\.py$/.test(basename(p))) files.push(p);
  };
  for (const p of paths.length ? paths : ['.']) {
    if (!existsSync(p)) {
      err(`ERROR: file or directory not found: ${p}`);
      return 4;
    }
    walk(p);
  }
  const tests = files.map((f) => ({
    file: f,
    n: (readFileSync(f, 'utf8').match(/^\s*def test_/gm) ?? []).length,
  }));
  const total = tests.reduce((a, t) => a + t.n, 0);
  out('============================= test session starts ==============================');
  out(
    `platform linux -- Python 3.11.7, pytest-8.3.3, pluggy-1.5.0 (sandbox stand-in)`,
    `rootdir: ${process.cwd()}`,
    `collected ${total} items`,
    '',
  );
  if (total === 0) {
    out('============================ no tests ran in 0.01s =============================');
    return 5;
  }
  let failed = 0;
  for (const t of tests) {
    let marks = '.'.repeat(t.n);
    if (fault === 'fail' && failed === 0 && t.n > 0) {
      marks = `F${marks.slice(1)}`;
      failed = 1;
    }
    out(`${relative(process.cwd(), t.file)} ${marks}`);
  }
  out('');
  if (failed) {
    out(
      '=================================== FAILURES ===================================',
      '___ test_page_lifecycle ___',
      'E   AssertionError: page was not released',
      '=========================== short test summary info ============================',
    );
    out(
      `============================== ${failed} failed, ${total - failed} passed in 0.21s ==============================`,
    );
    return 1;
  }
  out(`============================== ${total} passed in 0.12s ===============================`);
  return 0;
}

// ── nats-server ───────────────────────────────────────────────────────────────────────────

async function natsServer({ argv, fault }) {
  const { opts } = options(argv, { values: ['-a', '--addr', '-p', '--port', '-c', '--config'] });
  if (fault === 'fail') return said(err, 1, '[FTL] Error listening on port: address already in use');
  if (fault === 'hang') return hangForever();
  const servers = await import('./servers.js');
  await servers.runNats({ host: '127.0.0.1', port: Number(opts['-p'] ?? opts['--port'] ?? 4222) });
  return undefined;
}

const standIns = {
  gnr,
  gnrasgiserve,
  'genro-asgi': genroAsgi,
  supervisorctl,
  nginx,
  systemctl,
  pip,
  pip3: pip,
  python3: python,
  python,
  pytest,
  'nats-server': natsServer,
};

export const standInNames = Object.keys(standIns);

/** Used by the layout: the initial packages of the site's Python. */
export function installBasePackages(P) {
  for (const [name, meta] of Object.entries(basePackages)) writeDist(P.sitePackages, name, meta);
}
