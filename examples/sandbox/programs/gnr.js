// @ts-check
// Sandbox stand-in for `gnr` (web daemon | serveprod | async | taskscheduler | taskworker, dev tests): the Genropy CLI. Its servers are in ../lib/servers.js.

import { readFileSync } from 'node:fs';
import { err, installed, options, out, said } from '../lib/cli.js';
import { daemonEntryPoints, findSite, hangForever, readEnvironment } from '../lib/common.js';

export async function run({ P, argv, fault }) {
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
  const servers = await import('../lib/servers.js');
  switch (cmd) {
    case 'daemon': {
      const { opts, pos } = options(rest, {
        values: ['-C', '--command', '-H', '--host', '-P', '--port', '-n', '--sitename'],
        flags: ['-s', '--savestatus'],
      });
      const command = opts['-C'] ?? opts['--command'];
      // With genropy-asgi installed its `gnr.web:daemon` entry point replaces the daemon
      // package: no `gnr web daemon …` works any more (realhost README; both cases observed).
      if (daemonEntryPoints(P.sitePackages) > 0) {
        if (installed(P, 'genro-asgi'))
          return said(
            err,
            1,
            'Traceback (most recent call last):',
            '  File "/usr/lib/python3/dist-packages/gnr/web/cli/gnrdaemon.py", line 59, in main',
            'RuntimeError: no register daemon in this build: the register is served in-process, there is nothing to start with `gnr web daemon`',
          );
        // Recorded (fixtures/realhost/daemon-ping-with-genropy-asgi.*): on stdout, and exit 0.
        return said(out, 0, "Command gnr web daemon not available: No module named 'genro_tytx'");
      }
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
          // realhost: `savestatus True`, then the call's return value, `None`
          out(`savestatus ${savestatus ? 'True' : 'False'}`);
          await servers.daemonCall(
            'stop',
            { saveStatus: savestatus, corrupt: fault === 'corrupt' },
            { host, port },
          );
          out('None');
        } else if (command === 'siteRegisters') {
          const sites = await servers.daemonCall('siteRegisters', {}, { host, port });
          out(siteRegistersLine(sites, host));
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
      const inProcess = daemonEntryPoints(P.sitePackages) > 0;
      if (!inProcess) {
        // realhost: `GnrDaemon is not started` without a daemon; a dead site register (a .pik
        // reloaded next to it) makes gunicorn exit at once (supervisord: FATAL).
        const alive = await servers.daemonCall('site_alive', { site: site.name }).catch((e) => e);
        if (alive !== true) {
          err(
            alive instanceof Error
              ? `gnr.web.gnrwsgisite: GnrDaemon is not started: ${alive.message}`
              : `gnr.web.gnrwsgisite: the site register of ${site.name} is not alive`,
          );
          return 3;
        }
      }
      await servers.runSiteServer({ kind: 'wsgi', address: bindAddress(bind), site, inProcess });
      return undefined;
    }
    case 'async': {
      const { opts, pos } = options(rest, { values: ['-p', '--port', '-H', '--host'] });
      const site = pos[0] ? findSite(pos[0]) : null;
      if (!site) {
        err(`gnr web async: no site named ${JSON.stringify(pos[0])}`);
        return 1;
      }
      if (fault === 'fail') return said(err, 1, 'tornado: [Errno 98] Address already in use');
      if (fault === 'hang') return hangForever();
      const port = opts['-p'] ?? opts['--port'];
      await servers.runAsyncServer({ port: port ? Number(port) : null, site });
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

/**
 * `gnr web daemon -C siteRegisters` as the real client prints it: one Python list of
 * `(name, dict)` tuples (fixtures/realhost/daemon-siteRegisters.txt).
 * @param {{ name: string, registerPort: number, started: string, storagePath: string, alive: boolean }[]} sites
 */
export function siteRegistersLine(sites, host) {
  const t = (iso) => {
    const d = new Date(iso);
    return `datetime.datetime(${d.getUTCFullYear()}, ${d.getUTCMonth() + 1}, ${d.getUTCDate()}, ${d.getUTCHours()}, ${d.getUTCMinutes()}, ${d.getUTCSeconds()}, ${d.getUTCMilliseconds() * 1000})`;
  };
  const one = (s) =>
    `('${s.name}', {'domainIdentifier': '${s.name}', 'sitename': '${s.name}', ` +
    `'server_uri': 'PYRO:SiteRegisterServer@${host}:${s.registerPort}', ` +
    `'register_uri': 'PYRO:SiteRegister@${host}:${s.registerPort}', 'start_ts': ${t(s.started)}, ` +
    `'storage_path': '${s.storagePath}', 'autorestore': True, 'register_port': ${s.registerPort}, ` +
    `'pid': ${process.pid}, 'is_alive': ${s.alive ? 'True' : 'False'}})`;
  return `[${sites.map(one).join(', ')}]`;
}

function bindAddress(bind) {
  if (bind.startsWith('unix:')) return { path: bind.slice(5) };
  const m = /^(?:([^:]+):)?(\d+)$/.exec(bind);
  return {
    host: m?.[1] && m[1] !== '0.0.0.0' && m[1] !== 'localhost' ? m[1] : '127.0.0.1',
    port: Number(m?.[2] ?? 8000),
  };
}
