// @ts-check
// gnrdaemon (`gnr web daemon`): a line-JSON stand-in for Pyro, and its client (daemonCall).

import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { listSites, readEnvironment } from '../common.js';
import { lifecycle, listen, log } from './base.js';
import { emptyState, registerPage, writePik } from './registers.js';

// ── gnrdaemon ─────────────────────────────────────────────────────────────────────────────

/**
 * The daemon: one line of JSON in (`{cmd, args}`), one line of JSON out (`{ok, result|error}`).
 * Like the real one (genropy/genropy gnrpy/gnr/web/daemon/siteregister.py), it does NOT bring a
 * saved register back: `GlobalRegister.load()` re-reads the `.pik` that `dump()` wrote with
 * 'wb' in text mode, so a site whose folder holds `siteregister_data.pik` gets a dead register
 * (UnicodeDecodeError; siteRegisters shows `is_alive: False`) and its gunicorn cannot start.
 */
/** @param {{ host: string, port: number, sites?: string[] }} options */
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
/**
 * @param {string} cmd
 * @param {Record<string, unknown>} [args]
 * @param {{ host: string, port: number, timeoutMs?: number }} [where]
 * @returns {Promise<any>}
 */
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
    socket.on('error', (/** @type {NodeJS.ErrnoException} */ err) => {
      clearTimeout(timer);
      reject(
        new Error(
          `Pyro4.errors.CommunicationError: cannot connect to ('${host}', ${port}): [Errno ${err.code === 'ECONNREFUSED' ? '111] Connection refused' : `?] ${err.code}`}`,
        ),
      );
    });
  });
}
