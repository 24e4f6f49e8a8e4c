import { isAbsolute, join } from 'node:path';
import type { HostProbe } from './probe.js';
import { child, parseXml, type XmlElement } from './xml.js';

/**
 * $GNRCFG as Genropy finds it (gnrpy/gnr/core/gnrconfig.py, gnrConfigPath): $GENRO_GNRFOLDER
 * when that folder exists; else, in a virtualenv, $VIRTUAL_ENV/etc/gnr (returned whether or not
 * it exists); else ~/.gnr when it exists; else /etc/gnr when it exists; else none.
 */
export async function lookupGnrcfg(
  env: Record<string, string | undefined>,
  home: string,
  probe: Pick<HostProbe, 'isDir' | 'root'>,
): Promise<{ path?: string; rule: string }> {
  const folder = env.GENRO_GNRFOLDER;
  if (folder) {
    const path = expandPath(folder, env, home);
    if (await probe.isDir(path)) return { path, rule: '$GENRO_GNRFOLDER' };
  }
  if (env.VIRTUAL_ENV) {
    return { path: join(expandPath(env.VIRTUAL_ENV, env, home), 'etc/gnr'), rule: '$VIRTUAL_ENV/etc/gnr' };
  }
  const dotGnr = join(home, '.gnr');
  if (await probe.isDir(dotGnr)) return { path: dotGnr, rule: '~/.gnr' };
  const etc = join(probe.root, 'etc/gnr');
  if (await probe.isDir(etc)) return { path: etc, rule: '/etc/gnr' };
  return {
    rule: `none of $GENRO_GNRFOLDER${folder ? ` (${folder}: not a folder)` : ''}, $VIRTUAL_ENV, ~/.gnr, /etc/gnr`,
  };
}

/** Genropy's expandpath: ~ and $VAR / ${VAR}. */
export function expandPath(path: string, env: Record<string, string | undefined>, home: string): string {
  const tilde = path === '~' || path.startsWith('~/') ? home + path.slice(1) : path;
  return tilde.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a?: string, b?: string) => env[(a ?? b)!] ?? m);
}

export interface DaemonConfig {
  host?: string;
  port?: string;
  /** The unix socket when environment.xml asks for sockets (`sockets`/`socket` attributes). */
  socket?: string;
}

export interface EnvironmentXml {
  daemon?: DaemonConfig;
  /** Folders of `<projects><x path=…/></projects>`, expanded. */
  projects: string[];
  /** `<tasks async_impl="true">`: the scheduler does not run inside gnrdaemon. */
  tasksAsync?: boolean;
}

/**
 * environment.xml: the gnrdaemon attributes (gnr/web/daemon/handler.py, getFullOptions: a
 * `sockets` attribute of t/true/y means $GNRCFG/sockets; `socket` defaults to
 * <sockets>/gnrdaemon.sock), the projects folders, and `<tasks async_impl>`.
 */
export function readEnvironmentXml(
  text: string,
  gnrcfg: string,
  env: Record<string, string | undefined>,
  home: string,
): EnvironmentXml {
  const root = parseXml(text);
  const projects = (child(root, 'projects')?.children ?? [])
    .map((p: XmlElement) => p.attrs.path)
    .filter((p): p is string => Boolean(p))
    .map((p) => expandPath(p, env, home));
  const result: EnvironmentXml = { projects };
  const d = child(root, 'gnrdaemon');
  if (d) {
    const daemon: DaemonConfig = {};
    if (d.attrs.host) daemon.host = d.attrs.host;
    if (d.attrs.port) daemon.port = d.attrs.port;
    const sockets = d.attrs.sockets;
    if (sockets) {
      const dir = ['t', 'true', 'y'].includes(sockets.toLowerCase()) ? join(gnrcfg, 'sockets') : sockets;
      daemon.socket = d.attrs.socket || join(dir, 'gnrdaemon.sock');
    } else if (d.attrs.socket) {
      daemon.socket = d.attrs.socket;
    }
    if (daemon.socket && !isAbsolute(daemon.socket)) daemon.socket = join(gnrcfg, daemon.socket);
    result.daemon = daemon;
  }
  const tasks = child(root, 'tasks');
  if (tasks?.attrs.async_impl !== undefined) {
    result.tasksAsync = ['t', 'true', 'y', '1'].includes(tasks.attrs.async_impl.toLowerCase());
  }
  return result;
}
