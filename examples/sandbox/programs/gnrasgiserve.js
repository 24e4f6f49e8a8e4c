// @ts-check
// Sandbox stand-in for `gnrasgiserve` (genropy/genropy-asgi src/genropy_asgi/spa/cli.py).

import { existsSync } from 'node:fs';
import { err, installed, options, requirePackage, said } from '../lib/cli.js';
import { findSite, hangForever, unreleased } from '../lib/common.js';

export async function run({ P, argv, fault }) {
  requirePackage(P, 'genropy-asgi', 'gnrasgiserve');
  // genropy-asgi/src/genropy_asgi/spa/cli.py: instance, -H/--host, -p/--port, --workers,
  // --config, --nodebug, --reload; GNR_ASGI_WORKERS when --workers is not given.
  const { opts, pos } = options(argv, {
    values: ['-p', '--port', '--workers', '-H', '--host', '--config'],
    flags: ['--nodebug', '--reload'],
  });
  const name = pos[0];
  const site = name ? findSite(name) : null;
  if (!site) {
    err(
      'usage: gnrasgiserve [-h] [-H HOST] [-p PORT] [--reload] [--nodebug] [--workers WORKERS] [--config CONFIG] instance',
    );
    err(`gnrasgiserve: no site or instance named ${JSON.stringify(name)}`);
    return 2;
  }
  if (!installed(P, 'genro-asgi')) {
    // realhost: genropy-asgi without genro-asgi (its dependency)
    return said(
      err,
      1,
      'Traceback (most recent call last):',
      "ModuleNotFoundError: No module named 'genro_routes'",
    );
  }
  const port = Number(opts['-p'] ?? opts['--port'] ?? process.env.GNR_ASGI_PORT ?? 8080);
  const workers = Number(opts['--workers'] ?? process.env.GNR_ASGI_WORKERS ?? 0);
  if (!Number.isInteger(workers) || workers < 0) {
    err(`gnrasgiserve: error: argument --workers: invalid int value: '${workers}'`);
    return 2;
  }
  const config = opts['--config'];
  if (config && !existsSync(config)) {
    err(`FileNotFoundError: [Errno 2] No such file or directory: '${config}'`);
    return 1;
  }
  const resident = Boolean(config) && unreleased('resident_pages');
  if (fault === 'fail') {
    err('Traceback (most recent call last):', `RuntimeError: site ${site.name} failed to boot in the worker`);
    return 1;
  }
  if (fault === 'hang') {
    console.log(`gnrasgiserve: booting site ${site.name}... (sandbox fault: hangs, never listens)`);
    return hangForever();
  }
  const servers = await import('../lib/servers.js');
  await servers.runSiteServer({
    kind: 'bridge',
    address: { host: opts['--host'] ?? opts['-H'] ?? process.env.GNR_ASGI_HOST ?? '127.0.0.1', port },
    site,
    inProcess: true,
    workers,
    resident,
    errorNoise: fault === 'corrupt',
  });
  return undefined;
}
