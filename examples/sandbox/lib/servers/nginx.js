// @ts-check
// The nginx master: proxies by location (HTTP and WebSocket upgrades), reloads on SIGHUP.

import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { loadConfig, NginxConfigError, route } from '../nginxconf.js';
import { lifecycle, listen, log } from './base.js';

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
      upstream.on('error', (/** @type {NodeJS.ErrnoException} */ err) => {
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
