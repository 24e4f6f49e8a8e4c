import { findDaemonService } from './find-daemon.js';
import { findDeployment } from './find-deployment.js';
import { readGnrEnvironment } from './find-environment.js';
import { findSite } from './find-site.js';
import { findSupervisor } from './find-supervisor.js';
import { findWebFront } from './find-web.js';
import type { HostProbe } from './probe.js';
import { type DetectReport, Evidence } from './report.js';

/**
 * The vars `init --detect` can fill, in the order it reports them. A plan uses the ones it
 * needs; a var the plan does not have yet is added to its `vars:`. Every plan needs the
 * `required` ones: each one not found is listed under `missing` with its reason.
 */
const detectedVars = {
  gnrcfg: 'required',
  venv: 'required',
  projects: 'required',
  project: 'required',
  instance: 'required',
  site: 'required',
  instance_dir: 'required',
  site_dir: 'required',
  daemon_host: 'if found',
  daemon_port: 'if found',
  daemon_socket: 'if found',
  daemon_mode: 'if found',
  daemon_address: 'if found',
  daemon_service: 'if found',
  daemon_unit: 'if found',
  supervisor_conf: 'required',
  supervisor_dir: 'if found',
  supervisor_program_file: 'if found',
  prog_daemon: 'required',
  prog_wsgi: 'required',
  prog_async: 'required',
  prog_taskscheduler: 'if found',
  prog_taskworker: 'if found',
  nginx_main_conf: 'required',
  nginx_site: 'required',
  host: 'if found',
  nginx_port: 'required',
  base_url: 'if found',
  layout: 'required',
  wsgi_upstream: 'required',
  async_upstream: 'if found',
  gunicorn_conf: 'if found',
  gunicorn_socket: 'if found',
  gunicorn_port: 'if found',
  async_socket: 'if found',
  async_port: 'if found',
  asgi_port: 'if found',
} as const satisfies Record<string, 'required' | 'if found'>;

export const detectedVarNames = Object.keys(detectedVars) as (keyof typeof detectedVars)[];
const required = detectedVarNames.filter((name) => detectedVars[name] === 'required');

export interface DetectOptions {
  /**
   * Ports the plan will open (its `*_port` vars that detection does not fill, with their
   * default): one already in use here is replaced by a free port, and the report says so.
   */
  portsToOpen?: Record<string, { host: string; port: number }>;
}

/** Inspects the host through `probe` and says what it found, with evidence, and what it did not. */
export async function detectHost(
  probe: HostProbe,
  hostname: string,
  options: DetectOptions = {},
): Promise<DetectReport> {
  const ev = new Evidence();
  const scan = await findDeployment(probe, ev);
  const projectsDirs = await readGnrEnvironment(scan);
  await findSite(scan, projectsDirs);
  const supervisord = await findSupervisor(scan);
  await findWebFront(scan);
  await findDaemonService(scan, supervisord);
  for (const [name, { host, port }] of Object.entries(options.portsToOpen ?? {})) {
    if (ev.has(name) || !(await probe.portInUse(host, port))) continue;
    const free = await probe.freePort(host);
    ev.add(name, free, `the plan's ${port} is in use on ${host}: a port free at detection time`);
  }
  for (const name of required) {
    if (!ev.has(name))
      ev.miss(name, name === 'venv' || name === 'gnrcfg' ? 'not found' : 'not found (see the reasons above)');
  }
  if (!ev.has('daemon_port') && !ev.has('daemon_socket'))
    ev.miss('daemon_port', 'no gnrdaemon address in environment.xml');
  // Stable order: the order of detectedVarNames.
  const order = (n: string) => {
    const i = (detectedVarNames as readonly string[]).indexOf(n);
    return i < 0 ? detectedVarNames.length : i;
  };
  ev.found.sort((a, b) => order(a.name) - order(b.name));
  ev.missing.sort((a, b) => order(a.name) - order(b.name));
  return {
    version: 1,
    host: hostname,
    root: probe.root,
    found: ev.found,
    missing: ev.missing,
    notes: ev.notes,
  };
}
