// @ts-check
// Sandbox stand-in for `nats-server` (INFO greeting, PING/PONG). The default plan no longer needs
// NATS (genropy-asgi has none); it stays for the sandbox's own tests and for plans that use it.

import { err, options, said } from '../lib/cli.js';
import { hangForever } from '../lib/common.js';

export async function run({ argv, fault }) {
  const { opts } = options(argv, { values: ['-a', '--addr', '-p', '--port', '-c', '--config'] });
  if (fault === 'fail') return said(err, 1, '[FTL] Error listening on port: address already in use');
  if (fault === 'hang') return hangForever();
  const servers = await import('../lib/servers.js');
  await servers.runNats({ host: '127.0.0.1', port: Number(opts['-p'] ?? opts['--port'] ?? 4222) });
  return undefined;
}
