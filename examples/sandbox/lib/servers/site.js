// @ts-check
// The Genropy site over HTTP: gunicorn (`gnr web serveprod`), the genro-asgi front, gnrasgiserve.

import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import { siteLog } from '../common.js';
import { id22, lifecycle, listen, log } from './base.js';
import { daemonCall } from './gnrdaemon.js';
import { emptyState, registerPage } from './registers.js';

// ── the site served over HTTP (gunicorn, the genro-asgi front, gnrasgiserve) ──────────────

/**
 * kind: `wsgi` (gunicorn: HTTP only, registers through gnrdaemon), `front` (genro-asgi wrapping
 * the WSGI root — a capability upstream has not released, see standins.js — same registers, plus
 * the WebSocket upgrade and gnrasync's `POST /wsproxy` once it owns `<site>/sockets/async.sock`),
 * `bridge` (genropy-asgi's gnrasgiserve: registers in process and empty at start,
 * `/_server/monitor_state`, workers and the `sticky_cid` cookie).
 * What every kind answers as the real site does (realhost README): `/` 200 with
 * `Set-Cookie: <site>="…"`, `/sys/heartbeat` 500 (it is the task scheduler's trigger), `/_ping`
 * 412, `/metrics` with `genropy_site_counters{counter=…}` lines.
 * `inProcess`: the `gnr.web:daemon` entry point was installed when the process started (Python
 * resolves it at import), so the registers live in the process instead of gnrdaemon.
 */
export async function runSiteServer({
  kind,
  address,
  site,
  inProcess,
  workers = 0,
  resident = false,
  errorNoise = false,
  wsproxySocket = null,
}) {
  const serverHeader = kind === 'wsgi' ? 'gunicorn' : 'uvicorn';
  const pool = kind === 'bridge' && workers > 0;
  const workerCount = Math.max(1, workers);
  const life = lifecycle();

  // Registers: in process (genropy-asgi: never loaded from siteregister_data.pik) or gnrdaemon.
  const state = emptyState(site.name);
  const registers = inProcess
    ? {
        register: async (page) => registerPage(state, page),
        stats: async () => ({
          pages: Object.keys(state.pages).length,
          connections: Object.keys(state.connections).length,
          users: Object.keys(state.users).length,
        }),
      }
    : {
        register: (page) => daemonCall('register_page', { site: site.name, ...page }),
        stats: () => daemonCall('stats', { site: site.name }),
      };
  const daemonLost = (err) =>
    siteLog(site.dir, 'ERROR', `register: connection is not longer valid (${err.message})`);

  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { server: serverHeader, 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(body);
  };
  const internalError = (res, message) =>
    send(
      res,
      500,
      `<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><pre>${message}</pre></body></html>\n`,
      { 'content-type': 'text/html; charset=utf-8' },
    );
  const handler = async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    try {
      if (path === '/sys/heartbeat')
        // The task scheduler's trigger, not a health probe (realhost: 500).
        return internalError(res, "AttributeError: 'SqlTable' object has no attribute 'runScheduled'");
      if (path === '/_ping') return send(res, 412, 'Precondition Failed\n');
      if (path === '/wsproxy' && req.method === 'POST' && kind !== 'wsgi')
        return wsproxyAnswer(req, res, serverHeader);
      if (path === '/metrics') {
        const s = await registers.stats();
        return send(
          res,
          200,
          [
            `genropy_site_counters{counter="users"} ${s.users}`,
            `genropy_site_counters{counter="pages"} ${s.pages}`,
            `genropy_site_counters{counter="connections"} ${s.connections}`,
            'genropy_site_counters{counter="stale_connections_5min"} 0',
            '',
          ].join('\n'),
          { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        );
      }
      if (kind === 'bridge' && path === '/_server/monitor_state') {
        const s = await registers.stats();
        const rss = process.memoryUsage().rss;
        const share = (n, i) => Math.floor(n / workerCount) + (i < n % workerCount ? 1 : 0);
        const workersState = Array.from({ length: workerCount }, (_, i) => ({
          worker_id: i + 1,
          status: 'running',
          users: share(s.users, i),
          connections: share(s.connections, i),
          pressure: { occupancy: 0.05, pages: share(s.pages, i), rss },
        }));
        return send(
          res,
          200,
          `${JSON.stringify({
            apps: { '': { kind: pool ? 'pool' : 'single', workers: workersState } },
            groups: pool
              ? [{ name: 'default', reception: 1, workers: workersState.map((w) => w.worker_id) }]
              : [],
          })}\n`,
          { 'content-type': 'application/json' },
        );
      }
      if (path === '/' || path === '/index') {
        const cookies = Object.fromEntries(
          (req.headers.cookie ?? '')
            .split(';')
            .map((c) => c.trim().split('='))
            .filter((kv) => kv.length >= 2)
            .map(([k, ...v]) => [k, v.join('=')]),
        );
        const known = /connection_id=\+?([\w-]+)/.exec(cookies[site.name] ?? '')?.[1];
        const connection = known ?? id22();
        const pageId = id22();
        const setCookies = [
          `${site.name}="${randomBytes(20).toString('base64')}?connection_id=+${connection}&data=+zA=&user=+guest"; Path=/`,
        ];
        if (pool)
          setCookies.push(`sticky_cid=${cookies.sticky_cid ?? id22()}; Path=/; HttpOnly; SameSite=Lax`);
        await registers.register({ pageId, user: 'guest', connection });
        if (errorNoise) siteLog(site.dir, 'ERROR', `page ${pageId}: connection is not longer valid`);
        return send(
          res,
          200,
          `<!DOCTYPE html>\n<html><head><title>${site.name}</title></head><body>\n` +
            `<script>genro.page_id = "${pageId}"; genro.connection_id = "${connection}";</script>\n` +
            `<p>Genropy site ${site.name} (sandbox, ${kind}${resident ? ', resident pages' : ''})</p>\n</body></html>\n`,
          { 'content-type': 'text/html; charset=utf-8', 'set-cookie': setCookies, 'x-gnrtime': '0.01' },
        );
      }
      if (path === '/websocket') return send(res, 426, 'Upgrade Required\n', { upgrade: 'websocket' });
      return send(res, 404, 'Not Found\n');
    } catch (err) {
      daemonLost(err);
      return internalError(res, `GnrDaemon is not started: ${err.message}`);
    }
  };
  const makeServer = () => {
    const server = createHttpServer(handler);
    server.keepAliveTimeout = 5000;
    server.on('connection', (s) => life.track(s));
    if (kind !== 'wsgi') server.on('upgrade', (req, socket) => acceptWebSocket(req, socket, serverHeader));
    else
      server.on('upgrade', (_req, socket) =>
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'),
      );
    life.servers.add(server);
    return server;
  };
  await listen(makeServer(), address);
  // The ASGI front takes over gnrasync's push channel when nobody else holds the socket.
  if (wsproxySocket && !(await socketAnswers(wsproxySocket)))
    await listen(makeServer(), { path: wsproxySocket });
  log(
    `${kind} server for site ${site.name} listening on ${address.path ?? `${address.host}:${address.port}`}` +
      ` (registers ${inProcess ? 'in process' : 'via gnrdaemon'}, workers ${pool ? workerCount : 'single'}` +
      `${resident ? ', resident pages' : ''})`,
  );
}

/** Is something accepting connections on this unix socket? */
function socketAnswers(path) {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** gnrasync's `POST /wsproxy` (genropy/genropy gnrpy/gnr/web/gnrasync.py wsproxy_handler). */
export function wsproxyAnswer(req, res, serverHeader) {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const form = new URLSearchParams(body);
    // realhost: an empty envelope is a 500 (the handler cannot decode it)
    const ok = Boolean(form.get('envelope'));
    res.writeHead(ok ? 200 : 500, { server: serverHeader, 'content-type': 'text/plain; charset=utf-8' });
    res.end(ok ? 'OK\n' : '500 Internal Server Error\n\nServer got itself in trouble\n');
  });
}

export function acceptWebSocket(req, socket, serverHeader) {
  const key = req.headers['sec-websocket-key'];
  const wantsWs = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  if (!wantsWs || !key || !(req.url ?? '').startsWith('/websocket')) {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nServer: ${serverHeader}\r\n\r\n`,
  );
  socket.on('data', () => {});
  socket.on('error', () => {});
}
