#!/usr/bin/env node
// @ts-check
// A REAL Genropy host on one Debian machine, for rehearsing a migration before the production
// host sees it: gnrdaemon (Pyro), the site under gunicorn, gnrasync and nginx, all under
// supervisord, laid out as Genropy's own deploy builder lays them out (unix sockets, one
// supervisord file, nginx proxy_pass to the sockets). Built from the Genropy sources and
// Debian's packages; every listener on 127.0.0.1, on ports chosen free at `up`. See README.md.
//
//   node examples/realhost/realhost.js up DIR [--src PATH] [--site NAME]   (root)
//   node examples/realhost/realhost.js env DIR       the environment of a rehearsal (export lines)
//   node examples/realhost/realhost.js status DIR    supervisorctl status + ports
//   node examples/realhost/realhost.js down DIR      stops everything it started

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../sandbox/sandbox.js';
import { buildVenv, installDebianPackages, prepareSources } from './lib/build.js';
import {
  genropyEnv,
  hostLayout,
  writeGnrConfig,
  writeGunicornConf,
  writeNginxConf,
  writeProject,
  writeSupervisorConf,
} from './lib/host-files.js';
import { isAlive, readPid, startSupervisord, stopAll, waitHttp200 } from './lib/processes.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The source tarball CI uses: `shared/` beside the clone of this repository. */
export const defaultSource = resolve(here, '../../../shared/realhost/realhost-src.tar.gz');

/** Where the sources are: GENROPY_SRC, else the CI default; undefined when neither exists. */
export function findSources(env = process.env) {
  const src = env.GENROPY_SRC || defaultSource;
  return existsSync(src) ? resolve(src) : undefined;
}

/**
 * @typedef {object} RealHost
 * @property {string} dir @property {string} site
 * @property {import('./lib/host-files.js').HostPorts} ports
 * @property {import('./lib/host-files.js').HostLayout} paths
 * @property {string} url nginx: http://127.0.0.1:<http>/
 * @property {Record<string, string>} env what a migration rehearsal runs with (rehearsalEnv)
 */

/**
 * The environment of a migration rehearsal on this host: its virtualenv first on PATH,
 * $GNRCFG by GENRO_GNRFOLDER, and pip pointed at the host's wheelhouse, offline, so that a
 * plan's plain `pip install genropy-asgi` installs it as pip would from the index.
 * @param {import('./lib/host-files.js').HostLayout} L
 */
export function rehearsalEnv(L, basePath = process.env.PATH ?? '/usr/bin:/bin') {
  return {
    PATH: `${L.bin}:${basePath}`,
    GENRO_GNRFOLDER: L.gnrcfg,
    PIP_NO_INDEX: '1',
    PIP_FIND_LINKS: L.wheelhouse,
    PIP_NO_DEPS: '1',
    // A host described by an earlier version has no tmp folder.
    ...(L.tmp ? { TMPDIR: L.tmp } : {}),
  };
}

/** @param {string} dir */
export function readHost(dir) {
  const L = hostLayout(resolve(dir), 'x');
  if (!existsSync(L.info))
    throw new Error(`${dir} holds no real host (no realhost.json): run \`up ${dir}\` first`);
  /** @type {RealHost} */
  const info = JSON.parse(readFileSync(L.info, 'utf8'));
  info.env = rehearsalEnv(info.paths);
  return info;
}

/**
 * Builds (or rebuilds the configuration of) a real host in `dir` and starts it; resolves once
 * `/` answers 200 through nginx. Needs root for apt (only when packages are missing) and for
 * nginx's `user www-data`.
 * @param {{ dir: string, src?: string, site?: string, log?: (line: string) => void, timeoutMs?: number }} o
 * @returns {Promise<RealHost>}
 */
export async function realHostUp(o) {
  const dir = resolve(o.dir);
  const log =
    o.log ?? ((l) => process.stderr.write(`[realhost ${new Date().toISOString().slice(11, 19)}] ${l}\n`));
  const L = hostLayout(dir, o.site ?? 'realhost');
  mkdirSync(dir, { recursive: true });
  const running = readPid(L.supervisorPid);
  if (running && isAlive(running)) {
    log(`already running (supervisord pid ${running})`);
    return readHost(dir);
  }
  const src = o.src ?? findSources();
  if (!src)
    throw new Error(`no Genropy sources: set GENROPY_SRC (a folder or tarball; default ${defaultSource})`);
  installDebianPackages(log);
  for (const d of [L.logs, L.run, L.tmp, join(dir, 'conf')]) mkdirSync(d, { recursive: true });
  if (!existsSync(join(L.venv, '.realhost-ok'))) {
    const srcRoot = prepareSources(src, join(dir, 'run/src'), log);
    buildVenv(dir, srcRoot, log);
    rmSync(join(dir, 'run/src'), { recursive: true, force: true });
    writeFileSync(join(L.venv, '.realhost-ok'), `${src}\n`);
  }
  const [http, wsgi, daemon] = await freePorts(3);
  const ports = {
    http: /** @type {number} */ (http),
    wsgi: /** @type {number} */ (wsgi),
    daemon: /** @type {number} */ (daemon),
  };
  writeGnrConfig(L, ports, log);
  writeProject(L, log);
  // A siteregister_data.pik left by `gnr web daemon -C stop -s` kills the next site register
  // (written 'wb', re-read in text mode: gnr/web/daemon/siteregister.py): never start next to it.
  const pik = join(L.siteDir, 'siteregister_data.pik');
  if (existsSync(pik)) {
    log(`moving aside ${pik} (upstream cannot reload it)`);
    renameSync(pik, `${pik}.unloadable`);
  }
  writeGunicornConf(L, ports);
  writeNginxConf(L, ports);
  writeSupervisorConf(L, dir);
  /** @type {RealHost} */
  const info = {
    dir,
    site: L.site,
    ports,
    paths: L,
    url: `http://127.0.0.1:${ports.http}/`,
    env: rehearsalEnv(L),
  };
  writeFileSync(L.info, `${JSON.stringify({ ...info, env: undefined }, null, 2)}\n`);
  log(`starting supervisord (nginx :${ports.http}, gunicorn :${ports.wsgi}, gnrdaemon :${ports.daemon})`);
  startSupervisord({ conf: L.supervisorConf, pidFile: L.supervisorPid, env: genropyEnv(L), marker: dir });
  const last = await waitHttp200(info.url, o.timeoutMs ?? 180_000);
  if (last !== 200) {
    const status = supervisorStatus(L);
    await stopAll({ supervisorPid: L.supervisorPid, nginxPid: L.nginxPid, marker: dir });
    throw new Error(`${info.url} did not answer 200 (last: ${last}); logs in ${L.logs}\n${status}`);
  }
  log(`up: ${info.url} → 200 (supervisord pid ${readPid(L.supervisorPid)})`);
  return info;
}

/** @param {import('./lib/host-files.js').HostLayout} L */
function supervisorStatus(L) {
  const r = spawnSync('/usr/bin/supervisorctl', ['-c', L.supervisorConf, 'status'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** Stops every process of the host in `dir` (see lib/processes.js). */
export async function realHostDown(dir) {
  const root = resolve(dir);
  const L = hostLayout(root, 'x');
  return stopAll({ supervisorPid: L.supervisorPid, nginxPid: L.nginxPid, marker: root });
}

async function main(argv) {
  const [cmd, dirArg, ...rest] = argv;
  const opt = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (!cmd || !dirArg || !['up', 'down', 'status', 'env'].includes(cmd)) {
    process.stderr.write(
      'usage: realhost.js up DIR [--src PATH] [--site NAME] | env DIR | status DIR | down DIR\n',
    );
    return 2;
  }
  if (cmd === 'up') {
    if (process.getuid?.() !== 0) {
      process.stderr.write('realhost: run as root (apt, and nginx runs its workers as www-data)\n');
      return 2;
    }
    const host = await realHostUp({ dir: dirArg, src: opt('--src'), site: opt('--site') });
    process.stdout.write(`${host.url}\n${supervisorStatus(host.paths)}`);
    process.stdout.write(
      `\nRehearse a migration with:\n  eval "$(node ${process.argv[1]} env ${host.dir})"\n`,
    );
    return 0;
  }
  if (cmd === 'down') {
    const { killed } = await realHostDown(dirArg);
    process.stderr.write(`realhost: down (${killed.length} processes stopped)\n`);
    return 0;
  }
  const host = readHost(dirArg);
  if (cmd === 'env') {
    // PATH is prefixed to the caller's own at eval time, not frozen to this process's PATH.
    for (const [k, v] of Object.entries(host.env)) {
      const value = k === 'PATH' ? `'${host.paths.bin}':"$PATH"` : `'${v}'`;
      process.stdout.write(`export ${k}=${value}\n`);
    }
    return 0;
  }
  const sup = readPid(host.paths.supervisorPid);
  process.stdout.write(
    `${host.url} (nginx :${host.ports.http}, gunicorn :${host.ports.wsgi}, gnrdaemon :${host.ports.daemon})\n` +
      `supervisord: ${sup && isAlive(sup) ? `pid ${sup}` : 'not running'}\n${supervisorStatus(host.paths)}`,
  );
  return sup && isAlive(sup) ? 0 : 3;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`realhost: ${err instanceof Error ? err.message : err}\n`);
      process.exitCode = 1;
    },
  );
}
