// @ts-check
// gnrasync (`gnr web async`): /websocket and POST /wsproxy on <site>/sockets/async.sock.

import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { lifecycle, listen, log } from './base.js';
import { acceptWebSocket, wsproxyAnswer } from './site.js';

// ── gnrasync (aiohttp: /websocket, POST /wsproxy) ─────────────────────────────────────────

/**
 * Like `gnr web async <site> [-p PORT]` (genropy/genropy gnrpy/gnr/web/gnrasync.py): always
 * binds `<site>/sockets/async.sock`; with a port also 0.0.0.0:PORT (here 127.0.0.1) and writes
 * `<site>/sockets/async_port`.
 */
export async function runAsyncServer({ port, site }) {
  const life = lifecycle();
  const serverHeader = 'Python/3.11 aiohttp/3.9.5';
  const make = () => {
    const server = createHttpServer((req, res) => {
      if ((req.url ?? '').split('?')[0] === '/wsproxy' && req.method === 'POST')
        return wsproxyAnswer(req, res, serverHeader);
      res.writeHead(404, { server: serverHeader });
      res.end('404: Not Found');
    });
    server.on('connection', (s) => life.track(s));
    server.on('upgrade', (req, socket) => acceptWebSocket(req, socket, serverHeader));
    life.servers.add(server);
    return server;
  };
  const sockets = join(site.dir, 'sockets');
  mkdirSync(sockets, { recursive: true });
  await listen(make(), { path: join(sockets, 'async.sock') });
  if (port) {
    await listen(make(), { host: '127.0.0.1', port });
    writeFileSync(join(sockets, 'async_port'), String(port));
  }
  log(
    `gnrasync for site ${site.name} on ${join(sockets, 'async.sock')}${port ? ` and 127.0.0.1:${port}` : ''}`,
  );
}

// ── a program with no listener (gnrtaskscheduler, gnrtaskworker) ─────────────────────────

export async function runIdle(what) {
  lifecycle();
  log(`${what} started`);
  setInterval(() => {}, 60_000);
}
