// @ts-check
// What every long-running stand-in shares: a log line, a clean stop on SIGTERM, listen on TCP or a unix socket.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';

export const log = (...parts) => console.log(new Date().toISOString(), ...parts);

/** Tracks listeners and open sockets; SIGTERM/SIGINT close them all and exit 0. */
export function lifecycle(onStop) {
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

export function listen(server, address) {
  return /** @type {Promise<void>} */ (
    new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if (address.path) {
        rmSync(address.path, { force: true });
        server.listen(address.path, done);
      } else server.listen(address.port, address.host ?? '127.0.0.1', done);
    })
  );
}

export const id22 = () => randomBytes(16).toString('base64url').slice(0, 22);
