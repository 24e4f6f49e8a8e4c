// The long-running programs of the sandbox host, each a real listener on 127.0.0.1:
// gnrdaemon (a line-JSON stand-in for Pyro), the WSGI site under gunicorn, gnrasync, the
// genro-asgi front, the genropy-asgi server (gnrasgiserve), nginx and nats-server.
// They run in the foreground (supervisord and systemd start them detached, with their output
// in log files) and stop cleanly on SIGTERM.

import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request as httpRequest } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { listSites, readEnvironment, siteLog } from './common.js';
import { loadConfig, NginxConfigError, route } from './nginxconf.js';

const log = (...parts) => console.log(new Date().toISOString(), ...parts);

/** Tracks listeners and open sockets; SIGTERM/SIGINT close them all and exit 0. */
function lifecycle(onStop) {
  const servers = new Set();
  const sockets = new Set();
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    log(`received ${signal}, shutting down`);
    try {
      await onStop?.();
    } catch {}
    for (const s of servers) s.close();
    for (const s of sockets) s.destroy();
    setTimeout(() => process.exit(0), 50);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGQUIT', () => stop('SIGQUIT'));
  return {
    servers,
    track(socket) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    },
    stop,
  };
}

function listen(server, address) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (address.path) {
      rmSync(address.path, { force: true });
      server.listen(address.path, done);
    } else server.listen(address.port, address.host ?? '127.0.0.1', done);
  });
}

const id22 = () => randomBytes(16).toString('base64url').slice(0, 22);

// ── the register state (what gnrdaemon holds, and genropy-asgi in process) ────────────────

const emptyState = (site) => ({ site, users: {}, connections: {}, pages: {} });

/** `siteregister_data.pik`: a pickle header, the state as JSON, the STOP opcode. */
export function writePik(file, state) {
  writeFileSync(
    file,
    Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.from(JSON.stringify(state)), Buffer.from('.')]),
  );
}

export function readPik(file) {
  const buf = readFileSync(file);
  if (buf[0] !== 0x80 || buf[buf.length - 1] !== 0x2e)
    throw new Error('_pickle.UnpicklingError: invalid load key');
  try {
    return JSON.parse(buf.subarray(3, buf.length - 1).toString('utf8'));
  } catch {
    throw new Error('_pickle.UnpicklingError: pickle data was truncated');
  }
}

function registerPage(state, { pageId, user, connection }) {
  state.users[user] ??= { user, connections: [] };
  if (!state.connections[connection]) {
    state.connections[connection] = { connection_id: connection, user, start_ts: Date.now() };
    state.users[user].connections.push(connection);
  }
  state.pages[pageId] = { page_id: pageId, connection_id: connection, user, start_ts: Date.now() };
}

// ── gnrdaemon ─────────────────────────────────────────────────────────────────────────────

/**
 * The daemon: one line of JSON in (`{cmd, args}`), one line of JSON out (`{ok, result|error}`).
 * Like the real one (genropy/genropy gnrpy/gnr/web/daemon/siteregister.py), it does NOT bring a
 * saved register back: `GlobalRegister.load()` re-reads the `.pik` that `dump()` wrote with
 * 'wb' in text mode, so a site whose folder holds `siteregister_data.pik` gets a dead register
 * (UnicodeDecodeError; siteRegisters shows `is_alive: False`) and its gunicorn cannot start.
 */
export async function runGnrDaemon({ host, port }) {
  const env = readEnvironment();
  const sites = listSites(env.projects);
  const states = new Map();
  /** @type {Map<string, { alive: boolean, started: Date, registerPort: number }>} */
  const registers = new Map();
  for (const site of sites) {
    const pik = join(site.dir, 'siteregister_data.pik');
    let alive = true;
    if (existsSync(pik)) {
      alive = false;
      log(
        `site ${site.name}: loading ${pik}: UnicodeDecodeError: 'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte`,
      );
    }
    states.set(site.name, emptyState(site.name));
    registers.set(site.name, { alive, started: new Date(), registerPort: port + 1 + registers.size });
  }
  const life = lifecycle();
  const server = createNetServer((socket) => {
    life.track(socket);
    let buf = '';
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        handle(line, socket);
        nl = buf.indexOf('\n');
      }
    });
  });
  life.servers.add(server);
  const reply = (socket, payload) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(payload)}\n`);
  };
  const handle = (line, socket) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return reply(socket, { ok: false, error: 'Pyro4.errors.ProtocolError: invalid message' });
    }
    const args = msg.args ?? {};
    switch (msg.cmd) {
      case 'ping':
        return reply(socket, { ok: true, result: 'ping' });
      case 'siteRegisters':
        return reply(socket, {
          ok: true,
          result: [...registers.entries()].map(([name, r]) => ({
            name,
            registerPort: r.registerPort,
            started: r.started.toISOString(),
            storagePath: join(sites.find((x) => x.name === name)?.dir ?? '', 'siteregister_data.pik'),
            alive: r.alive,
          })),
        });
      case 'site_alive':
        return reply(socket, { ok: true, result: registers.get(args.site)?.alive ?? false });
      case 'register_page': {
        const state = states.get(args.site);
        if (!state) return reply(socket, { ok: false, error: `unknown site ${args.site}` });
        if (!registers.get(args.site)?.alive)
          return reply(socket, {
            ok: false,
            error: `Pyro4.errors.CommunicationError: site register ${args.site} is dead`,
          });
        registerPage(state, args);
        return reply(socket, { ok: true, result: true });
      }
      case 'stats': {
        const state = states.get(args.site);
        return reply(socket, {
          ok: true,
          result: state
            ? {
                pages: Object.keys(state.pages).length,
                connections: Object.keys(state.connections).length,
                users: Object.keys(state.users).length,
              }
            : null,
        });
      }
      case 'stop': {
        if (args.saveStatus) {
          for (const site of sites) {
            const file = join(site.dir, 'siteregister_data.pik');
            if (args.corrupt) writeFileSync(file, randomBytes(64));
            else writePik(file, states.get(site.name));
            log(`site ${site.name}: register state saved to ${file}`);
          }
        }
        // Stop accepting at once, so the port is closed when the caller gets the answer.
        server.close();
        reply(socket, { ok: true, result: true });
        socket.end();
        setTimeout(() => process.exit(0), 100);
        return;
      }
      default:
        return reply(socket, { ok: false, error: `AttributeError: GnrDaemon has no command ${msg.cmd}` });
    }
  };
  await listen(server, { host, port });
  for (const site of sites) {
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<GenRoBag><params register_uri="PYRO:SiteRegister_${site.name}@${host}:${port}" ` +
      `main_uri="PYRO:GnrDaemon@${host}:${port}" pid="${process.pid}" _T="NN"/></GenRoBag>\n`;
    writeFileSync(join(site.dir, 'sitedaemon.xml'), xml);
  }
  log(`gnrdaemon listening on ${host}:${port} for ${[...states.keys()].join(', ') || 'no site'}`);
}

/** One call to the daemon (what a Pyro proxy does). Rejects with Pyro's wording. */
export function daemonCall(cmd, args = {}, { host, port, timeoutMs = 3000 } = readEnvironment()) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`Pyro4.errors.TimeoutError: receiving: timeout (${host}:${port})`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${JSON.stringify({ cmd, args })}\n`));
    socket.on('data', (c) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      socket.end();
      const msg = JSON.parse(buf.slice(0, nl));
      if (msg.ok) resolve(msg.result);
      else reject(new Error(msg.error));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(
        new Error(
          `Pyro4.errors.CommunicationError: cannot connect to ('${host}', ${port}): [Errno ${err.code === 'ECONNREFUSED' ? '111] Connection refused' : `?] ${err.code}`}`,
        ),
      );
    });
  });
}

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
function wsproxyAnswer(req, res, serverHeader) {
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

function acceptWebSocket(req, socket, serverHeader) {
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

// ── nats-server ───────────────────────────────────────────────────────────────────────────

export async function runNats({ host, port }) {
  const life = lifecycle();
  const server = createNetServer((socket) => {
    life.track(socket);
    socket.write(
      `INFO ${JSON.stringify({ server_id: `NSANDBOX${process.pid}`, server_name: 'sandbox', version: '2.10.22', proto: 1, host, port, headers: true, max_payload: 1048576 })}\r\n`,
    );
    let buf = '';
    socket.on('data', (c) => {
      buf += c.toString();
      let nl = buf.indexOf('\r\n');
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (line === 'PING') socket.write('PONG\r\n');
        nl = buf.indexOf('\r\n');
      }
    });
  });
  life.servers.add(server);
  await listen(server, { host, port });
  log(`nats-server listening for client connections on ${host}:${port}`);
}

// ── nginx ─────────────────────────────────────────────────────────────────────────────────

/** The nginx master: proxies by location, reloads on SIGHUP (keeping the old config if the new one is bad). */
export async function runNginx({ confFile }) {
  let config = loadConfig(confFile);
  const errorLog = (msg) => {
    const stamp = new Date().toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '/');
    if (config.errorLog) {
      try {
        appendFileSync(config.errorLog, `${stamp} [error] ${process.pid}#0: ${msg}\n`);
      } catch {}
    }
  };
  const life = lifecycle(() => {
    if (config.pid) rmSync(config.pid, { force: true });
  });
  const agents = new Map();
  const agentFor = (up) => {
    const key = up.socketPath ?? `${up.host}:${up.port}`;
    if (!agents.has(key)) agents.set(key, new Agent({ keepAlive: true, maxSockets: 64 }));
    return agents.get(key);
  };
  const listeners = new Map(); // port → http server

  const badGateway = (res, up, err) => {
    errorLog(
      `*1 connect() failed (${err.code === 'ECONNREFUSED' ? '111: Connection refused' : err.code}) while connecting to upstream, upstream: "${up.url}"`,
    );
    if (!res.headersSent) {
      res.writeHead(502, { server: 'nginx', 'content-type': 'text/html' });
      res.end(
        '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n',
      );
    }
  };
  const makeServer = (port) => {
    const server = createHttpServer((req, res) => {
      const srv = config.servers.find((s) => s.listen.some((l) => l.port === port));
      const loc = srv ? route(srv, (req.url ?? '/').split('?')[0]) : null;
      if (!loc) {
        res.writeHead(404, { server: 'nginx' });
        return res.end('404 Not Found\n');
      }
      if (!loc.upstream) {
        res.writeHead(loc.returnCode ?? 404, { server: 'nginx' });
        return res.end();
      }
      const up = loc.upstream;
      const headers = {
        ...req.headers,
        'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1',
        connection: 'keep-alive',
      };
      delete headers.upgrade;
      const preq = httpRequest(
        {
          ...(up.socketPath ? { socketPath: up.socketPath } : { host: up.host, port: up.port }),
          method: req.method,
          path: req.url,
          headers,
          agent: agentFor(up),
        },
        (pres) => {
          const out = { ...pres.headers, server: 'nginx' };
          res.writeHead(pres.statusCode ?? 502, out);
          pres.pipe(res);
        },
      );
      preq.on('error', (err) => badGateway(res, up, err));
      req.pipe(preq);
    });
    server.keepAliveTimeout = 5000;
    server.on('connection', (s) => life.track(s));
    server.on('upgrade', (req, socket, head) => {
      const srv = config.servers.find((s) => s.listen.some((l) => l.port === port));
      const loc = srv ? route(srv, (req.url ?? '/').split('?')[0]) : null;
      if (!loc?.upstream)
        return socket.end('HTTP/1.1 404 Not Found\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n');
      const up = loc.upstream;
      const upstream = connect(up.socketPath ? { path: up.socketPath } : { host: up.host, port: up.port });
      life.track(upstream);
      upstream.on('connect', () => {
        let headText = `${req.method} ${req.url} HTTP/1.1\r\n`;
        for (let i = 0; i < req.rawHeaders.length; i += 2)
          headText += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
        upstream.write(`${headText}\r\n`);
        if (head?.length) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', (err) => {
        errorLog(`*2 connect() failed (${err.code}) while connecting to upstream, upstream: "${up.url}"`);
        socket.end('HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n');
      });
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    });
    return server;
  };
  const applyListeners = async () => {
    const wanted = new Set(config.servers.flatMap((s) => s.listen.map((l) => l.port)));
    for (const [port, server] of listeners) {
      if (!wanted.has(port)) {
        server.close();
        life.servers.delete(server);
        listeners.delete(port);
      }
    }
    for (const port of wanted) {
      if (listeners.has(port)) continue;
      const server = makeServer(port);
      await listen(server, { host: '127.0.0.1', port });
      listeners.set(port, server);
      life.servers.add(server);
    }
  };
  await applyListeners();
  if (config.pid) writeFileSync(config.pid, `${process.pid}\n`);
  log(`nginx master ${process.pid} listening on ${[...listeners.keys()].join(', ')}`);
  process.on('SIGHUP', async () => {
    try {
      const next = loadConfig(confFile);
      config = next;
      for (const a of agents.values()) a.destroy();
      agents.clear();
      await applyListeners();
      log('reconfiguring: new configuration loaded');
    } catch (err) {
      const msg = err instanceof NginxConfigError ? err.message : String(err);
      log(`reload failed, keeping the old configuration: ${msg}`);
      errorLog(`[emerg] ${msg}`);
    }
  });
}
