// @ts-check
// Sandbox stand-in for `nginx` (-t, -s reload|stop|quit, -g 'daemon off;'); the master is in
// ../lib/servers.js, the configuration parser in ../lib/nginxconf.js.

import { existsSync, readdirSync, realpathSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { err, options, said } from '../lib/cli.js';
import { hangForever, isAlive, readPid, spawnDaemon } from '../lib/common.js';
import { loadConfig, NginxConfigError } from '../lib/nginxconf.js';

function nginxSiteFiles(P) {
  const dir = join(P.nginxDir, 'sites-enabled');
  return existsSync(dir)
    ? readdirSync(dir)
        .sort()
        .map((f) => join(dir, f))
    : [];
}

export async function run({ P, argv, fault }) {
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
  const servers = await import('../lib/servers.js');
  await servers.runNginx({ confFile: conf });
  return undefined;
}
