// Shared helpers of the sandbox Genropy host: paths, pid files, daemons, faults, the fake
// site-packages of the site's Python, and small parsers for the files a Genropy host holds.

import { spawn } from 'node:child_process';
import {
  accessSync,
  appendFileSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { basename, delimiter, dirname, join } from 'node:path';

/** @typedef {ReturnType<typeof sandboxPaths>} SandboxPaths */

/** Every path of the sandbox layout, from its root. */
export function sandboxPaths(root) {
  const projects = join(root, 'srv/genropy/projects');
  return {
    root,
    bin: join(root, 'bin'),
    run: join(root, 'run'),
    registry: join(root, 'run/registry.pids'),
    gnrcfg: join(root, 'etc/gnr'),
    nginxDir: join(root, 'etc/nginx'),
    nginxConf: join(root, 'etc/nginx/nginx.conf'),
    nginxPid: join(root, 'run/nginx.pid'),
    supervisorConf: join(root, 'etc/supervisor/supervisord.conf'),
    supervisorDir: join(root, 'etc/supervisor/conf.d'),
    supervisorRun: join(root, 'run/supervisor'),
    systemdDir: join(root, 'etc/systemd/system'),
    systemdRun: join(root, 'run/systemd'),
    logs: join(root, 'var/log'),
    projects,
    sitePackages: join(root, 'venv/lib/python3/site-packages'),
    venvBin: join(root, 'venv/bin'),
    faults: join(root, 'run/faults'),
  };
}

/** The sandbox root a stand-in belongs to (its launcher passes it). */
export function rootFromEnv() {
  const root = process.env.GNR_SANDBOX_ROOT;
  if (!root) throw new Error('GNR_SANDBOX_ROOT is not set');
  return root;
}

/**
 * The capabilities upstream has not released, which this sandbox stands in for only when
 * `GNR_SANDBOX_UNRELEASED` names them (the demo sets it and says so): `wsgi_bridge` (genro-asgi
 * serving a WSGI app, phase 0), `resident_pages` (phase 5), `nats` (phase 7). The fake Python
 * packages of the sandbox's site-packages expose them under the same condition, so the plan's
 * capability checks block on a sandbox without the flag as they do on a real host.
 */
export function unreleased(name, env = process.env) {
  return (env.GNR_SANDBOX_UNRELEASED ?? '')
    .split(',')
    .map((x) => x.trim())
    .includes(name);
}

// ── faults ────────────────────────────────────────────────────────────────────────────────

/**
 * `GNR_SANDBOX_FAULT="<stand-in>[.<arg>]:<behaviour>[:<times>][,...]"`.
 * `<arg>` narrows the fault to invocations whose argv holds that word (`supervisorctl.update`,
 * `gnr.stop`, `nginx.-t`, `pip.install`); `<times>` makes it fire only that many times (counted
 * in `run/faults/`), then the stand-in behaves normally again.
 * Behaviours: `fail` (exit 1 with a realistic error), `hang` (never return; a server never
 * listens), `corrupt` (damage the file the program works on), `slow` (3 s delay first).
 * @returns {string | null} the behaviour that applies to this invocation
 */
export function takeFault(root, name, argv) {
  const spec = process.env.GNR_SANDBOX_FAULT;
  if (!spec) return null;
  for (const [i, raw] of spec.split(',').entries()) {
    const part = raw.trim();
    if (!part) continue;
    const [target = '', behaviour = '', times] = part.split(':');
    const dot = target.indexOf('.');
    const who = dot === -1 ? target : target.slice(0, dot);
    const arg = dot === -1 ? null : target.slice(dot + 1);
    if (who !== name) continue;
    if (arg !== null && !argv.includes(arg)) continue;
    if (times !== undefined && times !== '') {
      const limit = Number(times);
      const dir = join(root, 'run/faults');
      mkdirSync(dir, { recursive: true });
      const counter = join(dir, `${i}-${target.replace(/[^\w.-]/g, '_')}.count`);
      const used = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) || 0 : 0;
      if (used >= limit) continue;
      writeFileSync(counter, String(used + 1));
    }
    return behaviour;
  }
  return null;
}

/** Blocks forever (a hung program); the caller's timeout kills it. */
export function hangForever() {
  setInterval(() => {}, 1 << 30);
  return new Promise(() => {});
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ── processes ─────────────────────────────────────────────────────────────────────────────

export function isAlive(pid) {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  // A daemon whose launcher has exited is reparented to pid 1; once it exits it stays a zombie
  // until init reaps it (some inits take seconds). A zombie is dead for us.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export function readPid(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Finds a program on a PATH, skipping `skipDir` (to find the real python3 behind a stand-in). */
export function which(program, pathValue = process.env.PATH ?? '', skipDir = null) {
  if (program.includes('/')) return existsSync(program) ? program : null;
  // (statSync/accessSync: a folder or a non-executable file of that name is not the program)
  for (const dir of pathValue.split(delimiter)) {
    if (!dir || (skipDir && dir === skipDir)) continue;
    const candidate = join(dir, program);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/**
 * Starts a long-running program the way supervisord or systemd would: its own session and
 * process group, stdin closed, stdout and stderr appended to a log file (never the caller's
 * pipes: the caller must be able to exit at once), its pid in `pidFile` and in the sandbox's
 * registry, and `GNR_SANDBOX_DAEMON=<root>` in its environment so `stop()` can find it.
 */
/**
 * @param {{ root: string, argv: string[], cwd?: string, env: NodeJS.ProcessEnv, logFile: string, pidFile: string | null }} options
 */
export function spawnDaemon({ root, argv, cwd, env, logFile, pidFile }) {
  mkdirSync(dirname(logFile), { recursive: true });
  if (pidFile) mkdirSync(dirname(pidFile), { recursive: true });
  const out = openSync(logFile, 'a');
  /** @type {NodeJS.ProcessEnv} */
  const fullEnv = { ...env, GNR_SANDBOX_ROOT: root, GNR_SANDBOX_DAEMON: root };
  const program = which(argv[0], fullEnv.PATH) ?? argv[0];
  appendFileSync(logFile, `--- ${new Date().toISOString()} start: ${argv.join(' ')}\n`);
  const child = spawn(program, argv.slice(1), {
    cwd: cwd && existsSync(cwd) ? cwd : root,
    env: fullEnv,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.on('error', () => {});
  child.unref();
  if (child.pid) {
    if (pidFile) writeFileSync(pidFile, `${child.pid}\n`);
    appendFileSync(join(root, 'run/registry.pids'), `${child.pid}\n`);
  }
  return child.pid ?? null;
}

/** SIGTERM to the process group (then the pid), SIGKILL after `graceMs`. Resolves once gone. */
export async function killProcess(pid, graceMs = 5000) {
  if (!isAlive(pid)) return false;
  const signal = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {}
    try {
      process.kill(pid, sig);
    } catch {}
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    signal('SIGKILL');
    const hard = Date.now() + 2000;
    while (isAlive(pid) && Date.now() < hard) await sleep(25);
  }
  return true;
}

// ── ports ─────────────────────────────────────────────────────────────────────────────────

export function portOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitPort(port, { open = true, timeoutMs = 10000, host = '127.0.0.1' } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await portOpen(port, host)) === open) return true;
    await sleep(50);
  }
  return false;
}

// ── Genropy configuration files ────────────────────────────────────────────────────────────

/** The attributes of the first `<tag .../>` in an XML text (enough for Genropy's Bag files). */
export function xmlAttrs(text, tag) {
  const m = new RegExp(`<${tag}\\b([^>]*)/?>`).exec(text);
  if (!m) return null;
  const attrs = {};
  for (const a of (m[1] ?? '').matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g))
    attrs[a[1]] = a[2] ?? a[3];
  return attrs;
}

/** `$GNRCFG`: `$GENRO_GNRFOLDER`, else `$VIRTUAL_ENV/etc/gnr`, else `~/.gnr`, else `/etc/gnr`. */
export function gnrcfgDir(env = process.env) {
  if (env.GENRO_GNRFOLDER) return env.GENRO_GNRFOLDER;
  if (env.VIRTUAL_ENV && existsSync(join(env.VIRTUAL_ENV, 'etc/gnr')))
    return join(env.VIRTUAL_ENV, 'etc/gnr');
  if (env.HOME && existsSync(join(env.HOME, '.gnr'))) return join(env.HOME, '.gnr');
  return '/etc/gnr';
}

/** What `environment.xml` says: the gnrdaemon address and the project folders. */
export function readEnvironment(env = process.env) {
  const dir = gnrcfgDir(env);
  const file = join(dir, 'environment.xml');
  if (!existsSync(file)) throw new Error(`${file} not found (is $GENRO_GNRFOLDER right?)`);
  const text = readFileSync(file, 'utf8');
  const daemon = xmlAttrs(text, 'gnrdaemon') ?? {};
  const projects = [];
  const block = /<projects>([\s\S]*?)<\/projects>/.exec(text);
  for (const m of (block?.[1] ?? '').matchAll(/\bpath\s*=\s*"([^"]*)"/g)) projects.push(m[1]);
  return {
    file,
    host: daemon.host === 'localhost' ? '127.0.0.1' : (daemon.host ?? '127.0.0.1'),
    // initgenropy writes 40404; the code's own fallback is 40004.
    port: Number(daemon.port ?? 40004),
    projects,
  };
}

/** Every site folder under the project folders (`<projects>/<proj>/sites/<site>` with a root.py). */
export function listSites(projects) {
  const sites = [];
  for (const base of projects) {
    if (!existsSync(base)) continue;
    for (const proj of readdirSync(base)) {
      const sitesDir = join(base, proj, 'sites');
      if (!existsSync(sitesDir)) continue;
      for (const site of readdirSync(sitesDir)) {
        const dir = join(sitesDir, site);
        if (existsSync(join(dir, 'root.py'))) sites.push({ name: site, project: proj, dir });
      }
    }
  }
  return sites.sort((a, b) => a.name.localeCompare(b.name));
}

/** The site folder for a site or instance name. */
export function findSite(name, env = process.env) {
  const { projects } = readEnvironment(env);
  const sites = listSites(projects);
  const direct = sites.find((s) => s.name === name);
  if (direct) return direct;
  for (const base of projects) {
    if (!existsSync(base)) continue;
    for (const proj of readdirSync(base)) {
      if (existsSync(join(base, proj, 'instances', name))) {
        const ofProject = sites.filter((s) => s.project === proj);
        if (ofProject.length > 0) return ofProject[0];
      }
    }
  }
  return null;
}

/** Appends one line to the site's error log, in Genropy's log format. */
export function siteLog(siteDir, level, message) {
  const file = join(siteDir, 'logs/error.log');
  try {
    mkdirSync(dirname(file), { recursive: true });
    const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19);
    appendFileSync(file, `${stamp} ${level.padEnd(7)} gnr.web ${message}\n`);
  } catch {}
}

// ── the site's Python environment: a site-packages of .dist-info folders ──────────────────

/**
 * The fake Python modules a package brings, importable by the real python3 the `python3`
 * stand-in runs. They are NOT the real packages: they only expose what the plan's checks look
 * for. The capabilities upstream has not released exist in them only when
 * `GNR_SANDBOX_UNRELEASED` names them, read at import (the check's environment).
 */
const sandboxModule = (pkg, caps) =>
  `"""Sandbox stand-in for ${pkg} (gnr-migrate examples/sandbox): NOT the real package."""
import os

_UNRELEASED = set(filter(None, os.environ.get("GNR_SANDBOX_UNRELEASED", "").split(",")))
${caps
  .map(
    ([flag, cls, doc]) => `
if "${flag}" in _UNRELEASED:
    class ${cls}:
        """Stands in for ${doc}, which upstream has not released (GNR_SANDBOX_UNRELEASED=${flag})."""
`,
  )
  .join('')}`;

/** What `pip install` can fetch in the sandbox (it is offline: anything else is "not found"). */
export const catalog = {
  'genro-asgi': {
    version: '0.37.0',
    requires: [],
    entryPoints: '[console_scripts]\ngenro-asgi = genro_asgi.__main__:main\n',
    summary: 'Minimal ASGI server core',
    modules: {
      'genro_asgi/__init__.py': sandboxModule('genro-asgi', [
        ['wsgi_bridge', 'WsgiBridge', 'a WSGI bridge (ASGI serving a WSGI app)'],
      ]),
    },
    scripts: ['genro-asgi'],
  },
  'genropy-asgi': {
    version: '0.2.0',
    requires: ['genro-asgi>=0.33.0'],
    // genropy/genropy-asgi pyproject.toml: the console script and the gnr.web:daemon entry point
    entryPoints:
      '[console_scripts]\ngnrasgiserve = genropy_asgi.spa.cli:main\n\n[gnr.web]\ndaemon = genropy_asgi.siteregister\n',
    summary: 'Daemon-less commander/worker model serving GenroPy legacy sites on top of genro-asgi',
    modules: {
      'genropy_asgi/__init__.py': sandboxModule('genropy-asgi', [
        ['resident_pages', 'ResidentPageRegistry', 'resident pages'],
        ['nats', 'NatsNotifier', 'NATS cross-process notifications and |pNN page ids'],
      ]),
      'genropy_asgi/siteregister/__init__.py': '"""Sandbox stand-in: the in-process register."""\n',
    },
    scripts: ['gnrasgiserve'],
  },
};

/** The packages the host starts with. */
export const basePackages = {
  genropy: { version: '24.11.1', requires: ['Pyro4>=4.80', 'gunicorn>=21.2', 'tornado>=6.3'] },
  Pyro4: { version: '4.82', requires: [] },
  gunicorn: { version: '23.0.0', requires: [] },
  tornado: { version: '6.4.1', requires: [] },
  pytest: { version: '8.3.3', requires: [] },
};

const normalise = (name) => name.toLowerCase().replace(/[-_.]+/g, '-');
const distDirName = (name, version) => `${name.replace(/-/g, '_')}-${version}.dist-info`;

/**
 * @param {string} sitePackages
 * @param {string} name
 * @param {{ version: string, requires?: string[], entryPoints?: string, summary?: string, modules?: Record<string, string>, scripts?: string[] }} dist
 * @param {string | null} [venvBin]
 * @param {string | null} [standInBin]
 */
export function writeDist(
  sitePackages,
  name,
  { version, requires = [], entryPoints, summary, modules = {}, scripts = [] },
  venvBin = null,
  standInBin = null,
) {
  const dir = join(sitePackages, distDirName(name, version));
  mkdirSync(dir, { recursive: true });
  // What uninstall removes besides the dist-info (pip reads RECORD; this is its short form).
  const files = [];
  for (const [rel, text] of Object.entries(modules)) {
    const file = join(sitePackages, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    const top = join(sitePackages, rel.split('/')[0]);
    if (!files.includes(top)) files.push(top);
  }
  if (venvBin && standInBin)
    for (const script of scripts) {
      const file = join(venvBin, script);
      mkdirSync(venvBin, { recursive: true });
      writeFileSync(
        file,
        `#!/bin/sh\n# console script of ${name} (sandbox)\nexec "${join(standInBin, script)}" "$@"\n`,
        {
          mode: 0o755,
        },
      );
      files.push(file);
    }
  writeFileSync(join(dir, 'sandbox_files'), files.map((f) => `${f}\n`).join(''));
  const meta = [
    'Metadata-Version: 2.1',
    `Name: ${name}`,
    `Version: ${version}`,
    `Summary: ${summary ?? name}`,
    ...requires.map((r) => `Requires-Dist: ${r}`),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'METADATA'), meta);
  writeFileSync(join(dir, 'INSTALLER'), 'pip\n');
  if (entryPoints) writeFileSync(join(dir, 'entry_points.txt'), entryPoints);
  writeFileSync(join(dir, 'RECORD'), `${basename(dir)}/METADATA,,\n`);
  return dir;
}

/** The installed distributions: name, version, requirements, entry points, folder. */
export function listDists(sitePackages) {
  if (!existsSync(sitePackages)) return [];
  const dists = [];
  for (const entry of readdirSync(sitePackages)) {
    if (!entry.endsWith('.dist-info')) continue;
    const dir = join(sitePackages, entry);
    let meta = '';
    try {
      meta = readFileSync(join(dir, 'METADATA'), 'utf8');
    } catch {
      dists.push({
        name: entry.replace(/-[^-]+\.dist-info$/, ''),
        version: '?',
        requires: [],
        dir,
        broken: true,
      });
      continue;
    }
    const field = (k) => new RegExp(`^${k}: (.*)$`, 'm').exec(meta)?.[1]?.trim();
    const requires = [...meta.matchAll(/^Requires-Dist: (.*)$/gm)].map((m) => m[1].trim());
    let entryPoints = '';
    try {
      entryPoints = readFileSync(join(dir, 'entry_points.txt'), 'utf8');
    } catch {}
    dists.push({
      name: field('Name') ?? entry,
      version: field('Version') ?? '?',
      requires,
      entryPoints,
      dir,
    });
  }
  return dists;
}

/** What `pip uninstall` removes: the dist-info and the files it installed. */
export function removeDist(dist) {
  try {
    for (const f of readFileSync(join(dist.dir, 'sandbox_files'), 'utf8').split('\n').filter(Boolean))
      rmrf(f);
  } catch {}
  rmrf(dist.dir);
}

export function findDist(sitePackages, name) {
  return listDists(sitePackages).find((d) => normalise(d.name) === normalise(name)) ?? null;
}

/** How many `gnr.web:daemon` entry points the site's Python sees (what genropy-asgi registers). */
export function daemonEntryPoints(sitePackages) {
  let count = 0;
  for (const d of listDists(sitePackages)) {
    let group = '';
    for (const line of (d.entryPoints ?? '').split('\n')) {
      const g = /^\s*\[(.+)\]\s*$/.exec(line);
      if (g) group = g[1];
      else if (group === 'gnr.web' && /^\s*daemon\s*=/.test(line)) count++;
    }
  }
  return count;
}

export function requirementName(req) {
  return req.split(/[\s<>=!~;[(]/)[0];
}

// ── shell-like argv splitting (supervisord `command=`, systemd `ExecStart=`) ──────────────

export function splitCommand(line) {
  const out = [];
  let cur = '';
  let quote = null;
  let any = false;
  for (const ch of line.trim()) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += ch;
  }
  if (cur || any) out.push(cur);
  return out;
}

/** A tiny INI reader (supervisord's format): sections of key=value, `;`/`#` comments. */
export function parseIni(text) {
  const sections = {};
  let current = null;
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\s+[;#].*$/, '').trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      current = sec[1].trim();
      if (sections[current]) throw new Error(`line ${i + 1}: section [${current}] appears twice`);
      sections[current] = {};
      continue;
    }
    const kv = /^([\w.-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`line ${i + 1}: cannot parse ${JSON.stringify(raw)}`);
    if (kv[1] in sections[current])
      throw new Error(`line ${i + 1}: option ${kv[1]} appears twice in [${current}]`);
    sections[current][kv[1]] = kv[2];
  }
  return sections;
}

export function rmrf(path) {
  rmSync(path, { recursive: true, force: true });
}
