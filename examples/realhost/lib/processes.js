// @ts-check
// Starting and stopping the host's processes. supervisord is started with a marker variable in
// its environment (GNR_REALHOST_ROOT=<dir>), which every program it starts inherits; `stop`
// stops supervisord by pid (it stops its programs as groups), then kills, by process group and
// pid, any process still carrying the marker (a child orphaned by a crash, a program started by
// hand through supervisorctl), so nothing of the host survives `down`.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {number} pid */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/** @param {string} file */
export function readPid(file) {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** @param {number} port */
export function portOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    const done = (open) => {
      sock.destroy();
      resolve(open);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Pids of the processes whose environment carries GNR_REALHOST_ROOT=<marker>. */
export function markedPids(marker) {
  const want = `GNR_REALHOST_ROOT=${marker}`;
  /** @type {number[]} */
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (env.includes(want)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** The process group of a pid (field 5 of /proc/<pid>/stat), or undefined. */
function pgidOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

/** Signals a process group (never our own) and the pid itself. */
function signalTree(pid, sig) {
  const pgid = pgidOf(pid);
  if (pgid && pgid > 1 && pgid !== pgidOf(process.pid)) {
    try {
      process.kill(-pgid, sig);
    } catch {}
  }
  try {
    process.kill(pid, sig);
  } catch {}
}

/**
 * Starts supervisord (it daemonizes and writes its pid file) with the marker in its
 * environment.
 * @param {{ conf: string, pidFile: string, env: Record<string, string>, marker: string }} o
 */
export function startSupervisord(o) {
  const r = spawnSync('/usr/bin/supervisord', ['-c', o.conf], {
    env: { ...process.env, ...o.env, GNR_REALHOST_ROOT: o.marker },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`supervisord -c ${o.conf} exited ${r.status}: ${r.stderr}`);
}

/**
 * Stops everything of the host: supervisord by pid (TERM, up to 60 s: it stops its programs as
 * groups), then every marked leftover by group (TERM, then KILL), then nginx by its pid file.
 * @param {{ supervisorPid: string, nginxPid: string, marker: string }} o
 * @returns {Promise<{ killed: number[] }>}
 */
export async function stopAll(o) {
  /** @type {number[]} */
  const killed = [];
  const sup = readPid(o.supervisorPid);
  if (sup && isAlive(sup)) {
    process.kill(sup, 'SIGTERM');
    killed.push(sup);
    for (let i = 0; i < 600 && isAlive(sup); i++) await sleep(100);
    if (isAlive(sup)) signalTree(sup, 'SIGKILL');
  }
  let left = markedPids(o.marker);
  if (left.length > 0) {
    for (const pid of left) signalTree(pid, 'SIGTERM');
    killed.push(...left);
    for (let i = 0; i < 30 && left.some(isAlive); i++) await sleep(100);
    left = left.filter(isAlive);
    for (const pid of left) signalTree(pid, 'SIGKILL');
  }
  const nginx = readPid(o.nginxPid);
  if (nginx && isAlive(nginx)) {
    signalTree(nginx, 'SIGQUIT');
    killed.push(nginx);
    for (let i = 0; i < 50 && isAlive(nginx); i++) await sleep(100);
    if (isAlive(nginx)) signalTree(nginx, 'SIGKILL');
  }
  for (const f of [o.supervisorPid, o.nginxPid]) if (existsSync(f)) rmSync(f, { force: true });
  return { killed };
}

/**
 * Waits until `url` answers 200 (nginx → gunicorn → gnrdaemon), up to `timeoutMs`.
 * @returns {Promise<number | string>} the last status (200 on success) or error
 */
export async function waitHttp200(url, timeoutMs) {
  const until = Date.now() + timeoutMs;
  /** @type {number | string} */
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
      last = res.status;
      await res.arrayBuffer();
      if (res.status === 200) return 200;
    } catch (err) {
      last = /** @type {Error} */ (err).message;
    }
    await sleep(1000);
  }
  return last;
}
