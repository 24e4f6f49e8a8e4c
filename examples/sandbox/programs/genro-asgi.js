// @ts-check
// Sandbox stand-in for `genro-asgi serve` (genropy/genro-asgi src/genro_asgi/__main__.py). It serves
// the Genropy WSGI root only when GNR_SANDBOX_UNRELEASED names wsgi_bridge: upstream has no WSGI bridge.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { err, options, requirePackage, said } from '../lib/cli.js';
import { daemonEntryPoints, hangForever, readEnvironment, unreleased } from '../lib/common.js';

/** `genro-asgi serve ./config.py [--host H] [--port P]` (genro-asgi src/genro_asgi/__main__.py). */
export async function run({ P, argv, fault }) {
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
  const { listSites } = await import('../lib/common.js');
  const site = listSites(projects).find((s) => s.dir === dirname(resolve(source)));
  if (!site) {
    err(`genro-asgi: ${source} is not in a Genropy site folder (no root.py beside it)`);
    return 1;
  }
  if (!unreleased('wsgi_bridge')) {
    // What the plan's wsgi_bridge check says on a real host: the released genro-asgi cannot
    // serve a WSGI app. The sandbox serves one only when told to stand in for the bridge.
    err(
      'genro-asgi: cannot serve the Genropy WSGI root: this genro-asgi has no WSGI bridge',
      '(sandbox: set GNR_SANDBOX_UNRELEASED=wsgi_bridge to stand in for the unreleased capability)',
    );
    return 1;
  }
  if (fault === 'fail') return said(err, 1, `genro-asgi: ImportError while loading ${source}`);
  if (fault === 'hang') return hangForever();
  const port = Number(opts['--port'] ?? 8000);
  console.log(`genro-asgi serving http://${opts['--host'] ?? '127.0.0.1'}:${port}`);
  const servers = await import('../lib/servers.js');
  await servers.runSiteServer({
    kind: 'front',
    address: { host: '127.0.0.1', port },
    site,
    inProcess: daemonEntryPoints(P.sitePackages) > 0,
    wsproxySocket: join(site.dir, 'sockets', 'async.sock'),
  });
  return undefined;
}
