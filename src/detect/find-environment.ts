import { join } from 'node:path';
import { readEnvironmentXml } from './gnrcfg.js';
import type { Scan } from './scan.js';

/**
 * $GNRCFG/environment.xml: gnrdaemon's address and mode, the projects folders (returned), and
 * whether the task scheduler runs inside gnrdaemon.
 */
export async function readGnrEnvironment({ probe, ev, gnrcfg }: Scan): Promise<string[]> {
  let projectsDirs: string[] = [];
  if (gnrcfg) {
    const envXml = join(gnrcfg, 'environment.xml');
    const text = await probe.readText(envXml);
    if (text === undefined) {
      ev.miss('daemon_port', `${envXml} cannot be read`);
    } else {
      try {
        const env = readEnvironmentXml(text, gnrcfg, probe.env, probe.home);
        projectsDirs = env.projects;
        const d = env.daemon;
        if (!d) {
          ev.miss('daemon_port', `${envXml} has no <gnrdaemon> element`);
        } else {
          ev.add(
            'daemon_host',
            d.host ?? 'localhost',
            d.host ? `${envXml} <gnrdaemon host>` : `Genropy's default (no host attribute in ${envXml})`,
          );
          if (d.socket) {
            ev.add('daemon_socket', d.socket, `${envXml} <gnrdaemon sockets/socket>`);
            ev.add('daemon_mode', 'unix', `${envXml}: gnrdaemon listens on a unix socket`);
          } else {
            ev.add('daemon_mode', 'tcp', `${envXml}: gnrdaemon listens on TCP (no sockets attribute)`);
          }
          if (d.port) ev.add('daemon_port', Number(d.port), `${envXml} <gnrdaemon port>`);
          else if (!d.socket)
            ev.add(
              'daemon_port',
              40004,
              `Genropy's code default PYRO_PORT (gnr/web/daemon/handler.py): ${envXml} has no port`,
            );
        }
        if (env.tasksAsync !== true) {
          ev.note(
            `the task scheduler runs inside gnrdaemon (${envXml} has no <tasks async_impl="true">): stopping gnrdaemon stops scheduled tasks`,
          );
        }
      } catch (err) {
        ev.miss('daemon_port', `${envXml}: ${(err as Error).message}`);
      }
    }
  }
  return projectsDirs;
}
