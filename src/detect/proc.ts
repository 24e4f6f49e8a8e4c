import { basename, dirname, isAbsolute, join } from 'node:path';
import type { HostProbe, ProcInfo } from './probe.js';

/** What a running Genropy (or serving) process is, read from its command line. */
export type GenropyRole = 'daemon' | 'wsgi' | 'async' | 'taskscheduler' | 'taskworker' | 'asgi';

export interface GenropyProcess {
  proc: ProcInfo;
  role: GenropyRole;
  /** The site/instance named on its command line. */
  site?: string;
  /** `-c FILE` of gunicorn / serveprod, absolute. */
  config?: string;
  /** For gnrdaemon: `gnr web daemon <site>` runs a per-site register (sitedaemon). */
  perSite?: boolean;
}

export interface ServerProcess {
  proc: ProcInfo;
  /** `-c FILE`, absolute, when given. */
  config?: string;
}

/**
 * The program's own argv: an interpreter running a script (`python3 …/bin/gnr web daemon`,
 * `node …/bin/gnr …`) is dropped, `python -m gunicorn` becomes `gunicorn`, and nginx's
 * rewritten title (`nginx: master process /usr/sbin/nginx -c …`) is split back into words.
 */
export function programArgv(argv: string[]): string[] {
  if (argv.length === 1 && argv[0]!.startsWith('nginx: ')) {
    const m = /^nginx: (master|worker) process\s*(.*)$/.exec(argv[0]!);
    if (!m) return argv;
    return m[1] === 'master' ? m[2]!.split(/\s+/).filter(Boolean) : ['nginx-worker'];
  }
  const first = basename(argv[0] ?? '');
  if (/^(python[\d.]*|node|nodejs)$/.test(first)) {
    if (argv[1] === '-m' && argv[2]) return [argv[2], ...argv.slice(3)];
    const rest = argv.slice(1);
    while (rest.length > 0 && rest[0]!.startsWith('-')) rest.shift(); // -u, -B, --no-warnings
    if (rest.length > 0) return rest;
  }
  return argv;
}

const option = (args: string[], names: string[]): string | undefined => {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    for (const n of names) {
      if (a === n) return args[i + 1];
      if (n.startsWith('--') && a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return undefined;
};
const firstPositional = (args: string[], withValue: string[]): string | undefined => {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (withValue.includes(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
};
const absolute = (path: string | undefined, cwd: string | undefined) =>
  path === undefined ? undefined : isAbsolute(path) || !cwd ? path : join(cwd, path);

/** Classifies one process; undefined when it is none of Genropy's. */
export function classify(proc: ProcInfo): GenropyProcess | undefined {
  const argv = programArgv(proc.argv);
  const prog = basename(argv[0] ?? '');
  const args = argv.slice(1);
  const withValue = ['-c', '--config', '-p', '--port', '-b', '--bind', '-w', '--workers', '-C', '--command'];
  const make = (role: GenropyRole, rest: string[]): GenropyProcess => {
    const site = firstPositional(rest, withValue);
    const config = absolute(option(rest, ['-c', '--config']), proc.cwd);
    return { proc, role, ...(site ? { site } : {}), ...(config ? { config } : {}) };
  };
  if (prog === 'gnr' && args[0] === 'web') {
    const sub = args[1];
    const rest = args.slice(2);
    if (sub === 'daemon') {
      if (rest.includes('-C') || rest.includes('--command')) return undefined; // a client call
      const g = make('daemon', rest);
      return { ...g, perSite: g.site !== undefined };
    }
    if (sub === 'serveprod' || sub === 'wsgiserve' || sub === 'serve') return make('wsgi', rest);
    if (sub === 'async') return make('async', rest);
    if (sub === 'taskscheduler') return make('taskscheduler', rest);
    if (sub === 'taskworker') return make('taskworker', rest);
    return undefined;
  }
  if (prog === 'gnrdaemon') return make('daemon', args);
  if (prog === 'gnrwsgiserve') return make('wsgi', args);
  if (prog === 'gnrasync') return make('async', args);
  if (prog === 'gnrtaskworker') return make('taskworker', args);
  if (prog === 'gnrasgiserve') return make('asgi', args);
  if (prog === 'gunicorn' || prog === 'gunicorn3') {
    // gnrdeploy.py: `gunicorn -c <instance>/config/gunicorn.py root`, run in the instance folder
    const g = make('wsgi', args);
    const { site: _app, ...rest } = g;
    return proc.cwd ? { ...rest, site: basename(proc.cwd) } : rest;
  }
  return undefined;
}

/** A supervisord process with its `-c` file. */
export function asSupervisord(proc: ProcInfo): ServerProcess | undefined {
  const argv = programArgv(proc.argv);
  if (basename(argv[0] ?? '') !== 'supervisord') return undefined;
  const config = absolute(option(argv.slice(1), ['-c', '--configuration']), proc.cwd);
  return { proc, ...(config ? { config } : {}) };
}

/** An nginx master process with its `-c` file. */
export function asNginxMaster(proc: ProcInfo): ServerProcess | undefined {
  const argv = programArgv(proc.argv);
  if (basename(argv[0] ?? '') !== 'nginx') return undefined;
  if (argv.includes('-t') || argv.includes('-s')) return undefined;
  const config = absolute(option(argv.slice(1), ['-c']), proc.cwd);
  return { proc, ...(config ? { config } : {}) };
}

/** True when `pid` has `ancestor` above it in the process tree. */
export function descendsFrom(pid: number, ancestor: number, byPid: Map<number, ProcInfo>): boolean {
  let cur = byPid.get(pid);
  for (let i = 0; cur && i < 64; i++) {
    if (cur.ppid === ancestor) return true;
    cur = byPid.get(cur.ppid);
  }
  return false;
}

/**
 * The virtualenv a process runs in: its VIRTUAL_ENV, else the folder above the `bin/` of its
 * interpreter or script when that folder holds pyvenv.cfg (a venv's python is a symlink to the
 * system one, so /proc/<pid>/exe alone cannot tell).
 */
export async function venvOf(
  proc: ProcInfo,
  probe: Pick<HostProbe, 'isFile'>,
): Promise<{ path: string; how: string } | undefined> {
  if (proc.env.VIRTUAL_ENV) return { path: proc.env.VIRTUAL_ENV, how: 'VIRTUAL_ENV in its environment' };
  for (const candidate of [proc.argv[0], proc.argv[1], proc.exe]) {
    if (!candidate || !isAbsolute(candidate)) continue;
    const venv = dirname(dirname(candidate));
    if (basename(dirname(candidate)) === 'bin' && (await probe.isFile(join(venv, 'pyvenv.cfg')))) {
      return { path: venv, how: `${candidate} is in a virtualenv (pyvenv.cfg)` };
    }
  }
  return undefined;
}
