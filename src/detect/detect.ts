import { dirname, join } from 'node:path';
import { lookupGnrcfg, readEnvironmentXml } from './gnrcfg.js';
import { gunicornBinds } from './gunicorn.js';
import { listenAddress, type NginxConfig, type NginxServer, proxyTarget, readNginxConfig } from './nginx.js';
import type { HostProbe, ProcInfo } from './probe.js';
import {
  asNginxMaster,
  asSupervisord,
  classify,
  descendsFrom,
  type GenropyProcess,
  type GenropyRole,
  venvOf,
} from './proc.js';
import { type GenropyInstance, listInstances } from './projects.js';
import { type DetectReport, Evidence } from './report.js';
import { parseSupervisorStatus, readSupervisorConfig, type SupervisorConfig } from './supervisord.js';
import { daemonUnit, readSystemd } from './systemd.js';

/**
 * The vars `init --detect` can fill, in the order it reports them. A plan uses the ones it
 * needs; a var the plan does not have yet is added to its `vars:`.
 */
export const detectedVarNames = [
  'gnrcfg',
  'venv',
  'projects',
  'project',
  'instance',
  'site',
  'instance_dir',
  'site_dir',
  'daemon_host',
  'daemon_port',
  'daemon_socket',
  'daemon_mode',
  'daemon_address',
  'daemon_service',
  'daemon_unit',
  'supervisor_conf',
  'supervisor_dir',
  'supervisor_program_file',
  'prog_daemon',
  'prog_wsgi',
  'prog_async',
  'prog_taskscheduler',
  'prog_taskworker',
  'nginx_main_conf',
  'nginx_site',
  'host',
  'nginx_port',
  'base_url',
  'layout',
  'wsgi_upstream',
  'async_upstream',
  'gunicorn_conf',
  'gunicorn_socket',
  'gunicorn_port',
  'async_socket',
  'async_port',
  'asgi_port',
] as const;

/** Vars every plan needs: each one not found is listed under `missing` with its reason. */
const required = [
  'gnrcfg',
  'venv',
  'projects',
  'project',
  'instance',
  'site',
  'instance_dir',
  'site_dir',
  'supervisor_conf',
  'prog_daemon',
  'prog_wsgi',
  'prog_async',
  'nginx_main_conf',
  'nginx_site',
  'nginx_port',
  'wsgi_upstream',
  'layout',
];

const roleVar: Partial<Record<GenropyRole, string>> = {
  daemon: 'prog_daemon',
  wsgi: 'prog_wsgi',
  async: 'prog_async',
  taskscheduler: 'prog_taskscheduler',
  taskworker: 'prog_taskworker',
};

const pids = (ps: { proc: ProcInfo }[]) => ps.map((p) => p.proc.pid).join(', ');

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
  const procs = await probe.processes();
  const byPid = new Map(procs.map((p) => [p.pid, p]));

  // ── the running Genropy processes, and the $GNRCFG each one uses ─────────────────────────
  const all = procs.map(classify).filter((g): g is GenropyProcess => g !== undefined);
  // Children of a process of the same role (gunicorn workers, gnrdaemon's site registers).
  const leaders = all.filter((g) => !all.some((o) => o.proc.pid === g.proc.ppid && o.role === g.role));
  const cfgOf = new Map<number, string | undefined>();
  for (const g of leaders) {
    const home = g.proc.env.HOME || probe.home;
    cfgOf.set(g.proc.pid, (await lookupGnrcfg(g.proc.env, home, probe)).path);
  }

  // ── $GNRCFG ──────────────────────────────────────────────────────────────────────────────
  const own = await lookupGnrcfg(probe.env, probe.home, probe);
  const explicit = Boolean(probe.env.GENRO_GNRFOLDER || probe.env.VIRTUAL_ENV) && own.path !== undefined;
  const running = [...new Set([...cfgOf.values()].filter((c): c is string => c !== undefined))];
  let gnrcfg: string | undefined;
  if (explicit) {
    gnrcfg = own.path;
    ev.add('gnrcfg', gnrcfg, `Genropy's lookup in this environment: ${own.rule}`);
  } else if (running.length === 1) {
    gnrcfg = running[0];
    ev.add('gnrcfg', gnrcfg, `the environment of the running Genropy processes (pids ${pids(leaders)})`);
  } else if (running.length > 1) {
    ev.miss(
      'gnrcfg',
      `Genropy processes here use ${running.length} different $GNRCFG (${running.join(', ')}): set GENRO_GNRFOLDER to the one to migrate and run again`,
    );
  } else if (own.path) {
    gnrcfg = own.path;
    ev.add(
      'gnrcfg',
      gnrcfg,
      `Genropy's lookup in this environment: ${own.rule} (no Genropy process running)`,
    );
  } else {
    ev.miss('gnrcfg', `no $GNRCFG: ${own.rule}`);
  }
  const selected = gnrcfg === undefined ? leaders : leaders.filter((g) => cfgOf.get(g.proc.pid) === gnrcfg);
  const others = leaders.filter((g) => !selected.includes(g));
  if (others.length > 0) {
    const label = (g: GenropyProcess) =>
      cfgOf.get(g.proc.pid) ??
      (g.proc.env.GENRO_GNRFOLDER ? `${g.proc.env.GENRO_GNRFOLDER} (not a folder here)` : '(none)');
    const cfgs = [...new Set(others.map(label))].join(', ');
    ev.note(
      `other Genropy processes on this host use another $GNRCFG (${cfgs}; pids ${pids(others)}): ignored`,
    );
  }
  if (selected.length === 0)
    ev.note('no running Genropy process uses this $GNRCFG: values come from files only');

  // ── environment.xml ──────────────────────────────────────────────────────────────────────
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

  // ── project, instance, site ──────────────────────────────────────────────────────────────
  const instances = await listInstances(projectsDirs, probe);
  const served = [...new Set(selected.filter((g) => g.site && g.role !== 'daemon').map((g) => g.site!))];
  let inst: GenropyInstance | undefined;
  if (served.length === 1) {
    inst = instances.find((i) => i.instance === served[0]);
    if (inst)
      ev.add(
        'site',
        served[0],
        `the command line of the running site (pids ${pids(selected.filter((g) => g.site === served[0]))})`,
      );
    else
      ev.miss(
        'site',
        `the running site ${served[0]} is not an instance under ${projectsDirs.join(', ') || 'the projects of environment.xml'}`,
      );
  } else if (served.length > 1) {
    ev.miss(
      'site',
      `several sites run with this $GNRCFG (${served.join(', ')}): pass --var site=… (and instance, project) for the one to migrate`,
    );
  } else if (instances.length === 1) {
    inst = instances[0];
    ev.add('site', inst!.instance, `the only instance under ${inst!.projects} (no site process running)`);
  } else if (instances.length > 1) {
    ev.miss(
      'site',
      `no site process running and ${instances.length} instances: ${instances.map((i) => `${i.project}/${i.instance}`).join(', ')}`,
    );
  } else {
    ev.miss(
      'site',
      `no instance under the projects folders of environment.xml (${projectsDirs.join(', ') || 'none'})`,
    );
  }
  if (inst) {
    const src = `${inst.instanceDir} (projects folder of environment.xml)`;
    ev.add('projects', inst.projects, src);
    ev.add('project', inst.project, src);
    ev.add('instance', inst.instance, src);
    ev.add('instance_dir', inst.instanceDir, src);
    if (inst.siteDir)
      ev.add('site_dir', inst.siteDir, `Genropy's site lookup (pathresolver.py) for ${inst.instance}`);
  }
  const siteDir = ev.get('site_dir') as string | undefined;

  // ── the virtualenv ───────────────────────────────────────────────────────────────────────
  const venvs = new Map<string, string>();
  for (const g of selected) {
    const v = await venvOf(g.proc, probe);
    if (v && !venvs.has(v.path)) venvs.set(v.path, `pid ${g.proc.pid} (${g.role}): ${v.how}`);
  }
  if (venvs.size === 1) {
    const [path, how] = [...venvs][0]!;
    ev.add('venv', path, how);
  } else if (venvs.size > 1) {
    ev.miss(
      'venv',
      `the Genropy processes run in ${venvs.size} virtualenvs: ${[...venvs.keys()].join(', ')}`,
    );
  } else if (probe.env.VIRTUAL_ENV) {
    ev.add('venv', probe.env.VIRTUAL_ENV, '$VIRTUAL_ENV of this environment (no Genropy process shows one)');
  } else {
    ev.miss(
      'venv',
      selected.length
        ? 'the running Genropy processes show no virtualenv (no VIRTUAL_ENV, no pyvenv.cfg above their bin/)'
        : 'no Genropy process running',
    );
  }
  const venv = ev.get('venv') as string | undefined;
  if (venv) {
    const sharing = [];
    for (const g of leaders) {
      if (g.site && g.site !== ev.get('site') && (await venvOf(g.proc, probe))?.path === venv)
        sharing.push(g);
    }
    if (sharing.length)
      ev.note(
        `other sites share the virtualenv ${venv} (${[...new Set(sharing.map((g) => g.site))].join(', ')}): installing genropy-asgi switches their register too`,
      );
  }

  // ── supervisord ──────────────────────────────────────────────────────────────────────────
  const supervisords = procs.map(asSupervisord).filter((s) => s !== undefined);
  const parent = supervisords.find((s) => selected.some((g) => descendsFrom(g.proc.pid, s.proc.pid, byPid)));
  let sup: SupervisorConfig | undefined;
  if (parent?.config) {
    sup = await readSupervisorConfig(parent.config, probe);
    if (sup)
      ev.add(
        'supervisor_conf',
        parent.config,
        `the running supervisord -c (pid ${parent.proc.pid}), parent of the Genropy processes`,
      );
    else
      ev.miss(
        'supervisor_conf',
        `supervisord pid ${parent.proc.pid} reads ${parent.config}, which cannot be read`,
      );
  } else if (parent) {
    ev.miss(
      'supervisor_conf',
      `supervisord pid ${parent.proc.pid} runs without -c (its default search path): pass --var supervisor_conf=…`,
    );
  } else {
    const candidates = [
      ...(gnrcfg ? [join(gnrcfg, 'supervisord.conf')] : []),
      join(probe.root, 'etc/supervisor/supervisord.conf'),
      join(probe.root, 'etc/supervisord.conf'),
    ];
    for (const c of candidates) {
      if (!(await probe.isFile(c))) continue;
      const conf = await readSupervisorConfig(c, probe);
      if (conf?.programs.some((p) => p.role && p.role !== 'nginx')) {
        sup = conf;
        ev.add(
          'supervisor_conf',
          c,
          `a supervisord file with Genropy programs (no supervisord running as their parent)`,
        );
        break;
      }
    }
    if (!sup)
      ev.miss(
        'supervisor_conf',
        `no supervisord runs the Genropy processes and none of ${candidates.join(', ')} defines Genropy programs`,
      );
  }
  // The folder holding supervisord's configuration (backed up whole: the main file and its
  // conf.d/ includes), not only the include folder.
  if (sup) ev.add('supervisor_dir', dirname(sup.file), `the folder of ${sup.file}`);
  if (sup?.includeDirs.length)
    ev.note(`supervisord includes ${sup.includeDirs.join(', ')} (${sup.includes.length} files)`);
  for (const [role, name] of Object.entries(roleVar) as [GenropyRole, string][]) {
    const proc = selected.find((g) => g.role === role && g.proc.env.SUPERVISOR_PROCESS_NAME);
    if (proc) {
      const { SUPERVISOR_PROCESS_NAME: p, SUPERVISOR_GROUP_NAME: g } = proc.proc.env;
      ev.add(
        name,
        g && g !== p ? `${g}:${p}` : p!,
        `SUPERVISOR_PROCESS_NAME of pid ${proc.proc.pid} (${role})`,
      );
      continue;
    }
    const progs = (sup?.programs ?? []).filter((p) => p.role === role);
    const site = ev.get('site') as string | undefined;
    const mine = progs.length > 1 && site ? progs.filter((p) => p.command.includes(site)) : progs;
    if (mine.length === 1)
      ev.add(name, mine[0]!.name, `${mine[0]!.file} [program:${mine[0]!.name.split(':').pop()}] command`);
    else if (mine.length > 1)
      ev.miss(name, `${mine.length} ${role} programs in ${sup!.file}: ${mine.map((p) => p.name).join(', ')}`);
  }
  const wsgiProg = sup?.programs.find((p) => p.name === ev.get('prog_wsgi'));
  if (wsgiProg) ev.add('supervisor_program_file', wsgiProg.file, `the file that defines ${wsgiProg.name}`);
  if (sup) {
    const st = await probe.run(['supervisorctl', '-c', sup.file, 'status']);
    const rows = parseSupervisorStatus(st.stdout);
    if (st.error || rows.length === 0) {
      ev.note(
        `supervisorctl -c ${sup.file} status gave no programs (${st.error ?? (st.stderr.trim().split('\n')[0] || `exit ${st.exit}`)})`,
      );
    } else {
      ev.note(`supervisorctl status: ${rows.map((r) => `${r.name} ${r.state}`).join(', ')}`);
      const down = rows.filter((r) => r.state !== 'RUNNING');
      if (down.length)
        ev.note(`not running under supervisord: ${down.map((r) => `${r.name} (${r.state})`).join(', ')}`);
      for (const v of Object.values(roleVar)) {
        const n = ev.get(v!);
        if (n !== undefined && !rows.some((r) => r.name === n))
          ev.note(`${v}=${n} is not among the programs supervisorctl shows`);
      }
    }
  }

  // ── gunicorn, gnrasync ───────────────────────────────────────────────────────────────────
  const wsgi = selected.find((g) => g.role === 'wsgi');
  const binds = { sockets: [] as string[], tcp: [] as { host: string; port: number }[] };
  if (wsgi?.config) {
    const text = await probe.readText(wsgi.config);
    if (text !== undefined) {
      ev.add('gunicorn_conf', wsgi.config, `-c of the running site (pid ${wsgi.proc.pid})`);
      Object.assign(binds, gunicornBinds(text));
    }
  }
  const asyncProc = selected.find((g) => g.role === 'async');
  const asyncPortArg = asyncProc ? programPort(asyncProc.proc.argv) : undefined;
  if (asyncPortArg) ev.add('async_port', asyncPortArg, `-p of gnrasync (pid ${asyncProc!.proc.pid})`);
  if (siteDir) {
    const portFile = join(siteDir, 'sockets/async_port');
    const p = (await probe.readText(portFile))?.trim();
    if (p && /^\d+$/.test(p)) ev.add('async_port', Number(p), `${portFile} (written by gnr web async -p)`);
  }

  // ── nginx ────────────────────────────────────────────────────────────────────────────────
  const masters = procs
    .map(asNginxMaster)
    .filter((m) => m !== undefined)
    .filter((m) => !procs.some((o) => o.pid === m.proc.ppid && asNginxMaster(o)));
  const defaultNginx = join(probe.root, 'etc/nginx/nginx.conf');
  const confFiles = [...new Set(masters.map((m) => m.config ?? defaultNginx))];
  if (confFiles.length === 0 && (await probe.isFile(defaultNginx))) confFiles.push(defaultNginx);
  const confs: NginxConfig[] = [];
  for (const f of confFiles) {
    const c = await readNginxConfig(f, probe);
    if (c) confs.push(c);
  }
  const matches = (target: { socket?: string; port?: number }) =>
    (target.socket !== undefined &&
      (binds.sockets.includes(target.socket) ||
        (siteDir !== undefined && target.socket.startsWith(`${siteDir}/`)))) ||
    (target.port !== undefined && binds.tcp.some((b) => b.port === target.port));
  const rootLocation = (s: NginxServer) => s.locations.find((l) => l.path === '/' && l.proxyPass);
  const candidates = confs.flatMap((c) => c.servers.filter(rootLocation).map((s) => ({ c, s })));
  const chosen = candidates.filter(({ c, s }) =>
    matches(proxyTarget(rootLocation(s)!.proxyPass!, c.upstreams)),
  );
  let pick: { c: NginxConfig; s: NginxServer; how: string } | undefined;
  if (chosen.length >= 1) pick = { ...chosen[0]!, how: 'proxies / to the site' };
  else if (candidates.length === 1 && binds.sockets.length + binds.tcp.length === 0)
    pick = { ...candidates[0]!, how: 'the only server proxying / (the site’s gunicorn bind is unknown)' };
  if (!pick) {
    ev.miss(
      'nginx_site',
      confs.length === 0
        ? `no nginx master running and no ${defaultNginx}`
        : `no server in ${confs.map((c) => c.file).join(', ')} proxies / to the site's gunicorn (${[...binds.sockets, ...binds.tcp.map((t) => `${t.host}:${t.port}`)].join(', ') || 'bind unknown'})`,
    );
  } else {
    const { c, s } = pick;
    const master = masters.find((m) => (m.config ?? defaultNginx) === c.file);
    ev.add(
      'nginx_main_conf',
      c.file,
      master
        ? `the running nginx master (pid ${master.proc.pid})${master.config ? ' -c' : ', default file'}`
        : `${c.file} (nginx not running)`,
    );
    // The real file, not a sites-enabled symlink to it: `sed -i` on a link replaces the link.
    const siteFile = await probe.realPath(s.file);
    const via = siteFile === s.file ? '' : ` (through the link ${s.file})`;
    ev.add('nginx_site', siteFile, `${s.file}:${s.line}: the server that ${pick.how}${via}`);
    const addr = s.listen.map(listenAddress).find((a) => a !== undefined);
    if (addr) {
      const host =
        addr.host === '0.0.0.0' || addr.host === '*' || addr.host === '::' ? '127.0.0.1' : addr.host;
      ev.add('host', host, `${s.file}:${s.line} listen ${s.listen[0]}`);
      ev.add('nginx_port', addr.port, `${s.file}:${s.line} listen ${s.listen[0]}`);
      ev.add('base_url', `http://${host}:${addr.port}`, `${s.file}:${s.line} listen ${s.listen[0]}`);
    } else {
      ev.miss('nginx_port', `${s.file}:${s.line}: no TCP listen`);
    }
    const root = rootLocation(s)!;
    ev.add('wsgi_upstream', root.proxyPass!, `${root.file}:${root.line} location / proxy_pass`);
    const wsT = proxyTarget(root.proxyPass!, c.upstreams);
    ev.add(
      'layout',
      wsT.socket ? 'unix' : 'tcp',
      `${root.file}:${root.line}: nginx reaches the site by ${wsT.socket ? 'a unix socket' : 'TCP'}`,
    );
    if (wsT.socket) ev.add('gunicorn_socket', wsT.socket, `${root.file}:${root.line} proxy_pass`);
    if (wsT.port) ev.add('gunicorn_port', wsT.port, `${root.file}:${root.line} proxy_pass`);
    const ws = s.locations.find((l) => l.path === '/websocket' && l.proxyPass);
    if (ws) {
      ev.add('async_upstream', ws.proxyPass!, `${ws.file}:${ws.line} location /websocket proxy_pass`);
      const t = proxyTarget(ws.proxyPass!, c.upstreams);
      if (t.socket) ev.add('async_socket', t.socket, `${ws.file}:${ws.line} proxy_pass`);
      if (t.port) ev.add('async_port', t.port, `${ws.file}:${ws.line} proxy_pass`);
    } else {
      ev.miss('async_upstream', `${s.file}:${s.line}: no location /websocket with proxy_pass`);
    }
  }
  if (!ev.has('gunicorn_port')) {
    const local = binds.tcp[0];
    if (local) ev.add('gunicorn_port', local.port, `${ev.get('gunicorn_conf')} bind`);
  }
  if (!ev.has('gunicorn_socket') && binds.sockets[0])
    ev.add('gunicorn_socket', binds.sockets[0], `${ev.get('gunicorn_conf')} bind`);

  // ── systemd ──────────────────────────────────────────────────────────────────────────────
  const sd = await readSystemd(probe);
  if (sd.unavailable) ev.note(`systemd: ${sd.unavailable} (units not listed)`);
  const unit = daemonUnit(sd);
  if (unit)
    ev.add(
      'daemon_unit',
      unit.name,
      unit.file ? `${unit.file} ExecStart=${unit.execStart ?? ''}` : 'systemctl list-units',
    );
  if (sd.units.length)
    ev.note(
      `systemd units: ${sd.units.map((u) => `${u.name}${u.active ? ` (${u.active})` : ''}`).join(', ')}`,
    );
  const daemonProc = selected.find((g) => g.role === 'daemon');
  if (daemonProc?.perSite)
    ev.note(`gnrdaemon runs per site (gnr web daemon ${daemonProc.site}, pid ${daemonProc.proc.pid})`);
  if (!daemonProc && selected.length) ev.note('no gnrdaemon process runs with this $GNRCFG');
  if (daemonProc && !(parent && descendsFrom(daemonProc.proc.pid, parent.proc.pid, byPid)) && !unit)
    ev.note(
      `gnrdaemon (pid ${daemonProc.proc.pid}) runs under neither supervisord nor a systemd unit found here`,
    );

  const dSock = ev.get('daemon_socket');
  const dPort = ev.get('daemon_port');
  if (dSock !== undefined) ev.add('daemon_address', `unix:${dSock}`, 'daemon_socket');
  else if (dPort !== undefined)
    ev.add('daemon_address', `${ev.get('daemon_host')}:${dPort}`, 'daemon_host:daemon_port');
  const daemonUnderSup = Boolean(
    daemonProc && parent && descendsFrom(daemonProc.proc.pid, parent.proc.pid, byPid),
  );
  if (daemonProc && parent && daemonUnderSup && ev.has('prog_daemon'))
    ev.add(
      'daemon_service',
      'supervisor',
      `gnrdaemon (pid ${daemonProc.proc.pid}) runs under supervisord pid ${parent.proc.pid}`,
    );
  else if (unit && !daemonUnderSup) ev.add('daemon_service', 'systemd', `the systemd unit ${unit.name}`);
  else if (ev.has('prog_daemon'))
    ev.add('daemon_service', 'supervisor', `${ev.get('prog_daemon')} is a supervisord program`);
  for (const [name, { host, port }] of Object.entries(options.portsToOpen ?? {})) {
    if (ev.has(name) || !(await probe.portInUse(host, port))) continue;
    const free = await probe.freePort(host);
    ev.add(name, free, `the plan's ${port} is in use on ${host}: a port free at detection time`);
  }
  if (unit && !ev.has('prog_daemon'))
    ev.miss('prog_daemon', `gnrdaemon runs as the systemd unit ${unit.name}, not as a supervisord program`);
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

/** `-p PORT` / `--port PORT` of a command line. */
function programPort(argv: string[]): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a === '-p' || a === '--port' ? argv[i + 1] : a.startsWith('--port=') ? a.slice(7) : undefined;
    if (v && /^\d+$/.test(v)) return Number(v);
  }
  return undefined;
}
