import { connect, type NetConnectOpts } from 'node:net';
import { basename } from 'node:path';

/** What a connection attempt found. `closed` is a definite "nobody accepts here". */
export type Probe =
  | { state: 'open' }
  | { state: 'closed'; code: string }
  | { state: 'unknown'; code: string; message: string }
  | { state: 'timeout' }
  | { state: 'aborted' };

/**
 * Connects once and hangs up at once: enough to tell open from closed without speaking the
 * protocol (a Pyro daemon or NATS would not like us chatting).
 */
export function probeSocket(target: NetConnectOpts, timeoutMs: number, signal?: AbortSignal): Promise<Probe> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect(target);
    const done = (probe: Probe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(probe);
    };
    const timer = setTimeout(() => done({ state: 'timeout' }), timeoutMs);
    const onAbort = () => done({ state: 'aborted' });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ state: 'open' }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EUNKNOWN';
      // ENOENT on a unix socket: the socket file is not there, so nothing listens.
      if (code === 'ECONNREFUSED' || code === 'ENOENT') done({ state: 'closed', code });
      else done({ state: 'unknown', code, message: describeCode(code, err.message) });
    });
  });
}

export function describeCode(code: string, fallback: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOENT':
      return 'no such socket file';
    case 'ENOTFOUND':
      return 'host not found (DNS has no such name)';
    case 'EAI_AGAIN':
      return 'host name lookup failed (is DNS reachable?)';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTSOCK':
      return 'not a socket';
    case 'ECONNRESET':
      return 'connection reset by the other side';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      return `${code}: ${fallback}`;
  }
}

/** The Genropy services that own the usual ports and sockets, so a reason can name them. */
const knownPorts: Record<number, string> = {
  40404: 'gnrdaemon',
  40004: 'gnrdaemon',
  4222: 'NATS',
  8888: 'gunicorn',
  9999: 'gnrasync',
  8080: 'nginx',
};
const knownSockets: Record<string, string> = {
  'gunicorn.sock': 'gunicorn',
  'async.sock': 'gnrasync',
  'daemon.sock': 'gnrdaemon',
  'supervisor.sock': 'supervisord',
};

export function serviceOnPort(port: number): string | undefined {
  return knownPorts[port];
}

export function serviceOnSocket(path: string): string | undefined {
  return knownSockets[basename(path)];
}
