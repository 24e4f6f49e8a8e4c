import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { detectHost } from '../../src/detect/detect.js';
import { lookupGnrcfg, readEnvironmentXml } from '../../src/detect/gnrcfg.js';
import { gunicornBinds } from '../../src/detect/gunicorn.js';
import { listenAddress, proxyTarget } from '../../src/detect/nginx.js';
import { applyDetectedVars } from '../../src/detect/plan-vars.js';
import { classify, programArgv } from '../../src/detect/proc.js';
import type { DetectReport } from '../../src/detect/report.js';
import { parseSupervisorStatus, programRole } from '../../src/detect/supervisord.js';
import { fixtureProbe } from '../helpers/detect-probe.js';

const values = (r: DetectReport) => Object.fromEntries(r.found.map((f) => [f.name, f.value]));
const source = (r: DetectReport, name: string) => r.found.find((f) => f.name === name)?.source ?? '';

describe('detectHost on a host recorded from realhost.sh (TCP daemon, unix-socket site)', () => {
  it('finds every var of the deploy layout, with its evidence', async () => {
    const r = await detectHost(fixtureProbe('realhost'), 'h');
    const H = '/work/rhprobe/host';
    expect(values(r)).toMatchObject({
      gnrcfg: `${H}/gnr`,
      venv: `${H}/venv`,
      projects: `${H}/projects`,
      project: 'realhost',
      instance: 'realhost',
      site: 'realhost',
      instance_dir: `${H}/projects/realhost/instances/realhost`,
      // root.py in the instance: the site is <instance>/site (pathresolver.py)
      site_dir: `${H}/projects/realhost/instances/realhost/site`,
      daemon_host: '127.0.0.1',
      daemon_port: 40404,
      daemon_mode: 'tcp',
      daemon_address: '127.0.0.1:40404',
      daemon_service: 'supervisor',
      supervisor_conf: `${H}/conf/supervisord.conf`,
      supervisor_dir: `${H}/conf`,
      prog_daemon: 'gnrdaemon',
      prog_wsgi: 'realhost_gunicorn',
      prog_async: 'realhost_gnrasync',
      nginx_main_conf: `${H}/conf/nginx.conf`,
      nginx_site: `${H}/conf/nginx.conf`,
      host: '127.0.0.1',
      nginx_port: 8080,
      layout: 'unix',
      wsgi_upstream: `http://unix:${H}/projects/realhost/instances/realhost/site/sockets/gunicorn.sock`,
      async_upstream: `http://unix:${H}/projects/realhost/instances/realhost/site/sockets/async.sock`,
      gunicorn_conf: `${H}/conf/gunicorn.py`,
      gunicorn_port: 8081,
    });
    expect(r.missing).toEqual([]);
    expect(source(r, 'gnrcfg')).toContain('$GENRO_GNRFOLDER');
    expect(source(r, 'supervisor_conf')).toMatch(/running supervisord -c \(pid \d+\)/);
    expect(source(r, 'prog_wsgi')).toContain('SUPERVISOR_PROCESS_NAME');
    // The sandbox recorded beside it uses another $GNRCFG: named and left out.
    expect(r.notes.join('\n')).toMatch(/another \$GNRCFG \(\/tmp\/rh-sbx\/etc\/gnr/);
    expect(r.notes.join('\n')).toMatch(/task scheduler runs inside gnrdaemon/);
    expect(r.notes.join('\n')).toMatch(/systemd: System has not been booted with systemd/);
  });

  it('replaces a port the plan will open when it is in use here, and says so; detected ports stay', async () => {
    const probe = fixtureProbe('realhost', { listening: ['127.0.0.1:8081', '127.0.0.1:8080'] });
    const r = await detectHost(probe, 'h', {
      portsToOpen: {
        asgi_port: { host: '127.0.0.1', port: 8081 },
        nginx_port: { host: '127.0.0.1', port: 80 },
        nats_port: { host: '127.0.0.1', port: 4222 },
      },
    });
    expect(values(r)).toMatchObject({ asgi_port: 45678, nginx_port: 8080 });
    expect(values(r).nats_port).toBeUndefined(); // free: the plan's value stays
    expect(source(r, 'asgi_port')).toBe(
      "the plan's 8081 is in use on 127.0.0.1: a port free at detection time",
    );
  });

  it('takes $GNRCFG from the running processes when this environment does not name one, and says so', async () => {
    const r = await detectHost(fixtureProbe('realhost', { env: { GENRO_GNRFOLDER: '' } }), 'h');
    expect(values(r).gnrcfg).toBe('/work/rhprobe/host/gnr');
    expect(source(r, 'gnrcfg')).toContain('running Genropy processes');
  });

  it('does not guess between two deployments: gnrcfg is missing, with both named', async () => {
    const probe = fixtureProbe('realhost', {
      env: { GENRO_GNRFOLDER: '' },
      procs: (ps) => [
        ...ps,
        {
          pid: 99999,
          ppid: 1,
          argv: ['/x/bin/gnr', 'web', 'daemon'],
          env: { GENRO_GNRFOLDER: '/work/rhprobe/host/projects' },
        },
      ],
    });
    const r = await detectHost(probe, 'h');
    expect(values(r).gnrcfg).toBeUndefined();
    const gap = r.missing.find((g) => g.name === 'gnrcfg')!.reason;
    expect(gap).toContain('/work/rhprobe/host/gnr');
    expect(gap).toContain('/work/rhprobe/host/projects');
    expect(gap).toContain('GENRO_GNRFOLDER');
  });
});

describe('detectHost on a deploy-builder host (gnrdeploy.py: venv, grouped programs, systemd gnrdaemon, daemon socket)', () => {
  it('finds the virtualenv $GNRCFG, the daemon socket and unit, grouped program names, the real nginx site file', async () => {
    const r = await detectHost(fixtureProbe('deploy'), 'h');
    expect(values(r)).toMatchObject({
      gnrcfg: '/srv/venv/etc/gnr',
      venv: '/srv/venv',
      projects: '/srv/projects',
      project: 'erp',
      site: 'erp',
      site_dir: '/srv/projects/erp/sites/erp',
      daemon_socket: '/srv/venv/etc/gnr/sockets/gnrdaemon.sock',
      daemon_mode: 'unix',
      daemon_unit: 'gnrdaemon_venv.service',
      daemon_address: 'unix:/srv/venv/etc/gnr/sockets/gnrdaemon.sock',
      daemon_service: 'systemd',
      supervisor_dir: '/srv/venv/etc/gnr',
      supervisor_conf: '/srv/venv/etc/gnr/supervisord.conf',
      prog_wsgi: 'erp:erp_gunicorn',
      prog_async: 'erp:erp_gnrasync',
      prog_taskworker: 'erp:erp_gnrtaskworker0',
      nginx_main_conf: '/etc/nginx/nginx.conf',
      nginx_site: '/etc/nginx/sites-available/erp',
      nginx_port: 80,
      layout: 'unix',
      gunicorn_socket: '/srv/projects/erp/sites/erp/sockets/gunicorn.sock',
      async_socket: '/srv/projects/erp/sites/erp/sockets/async.sock',
    });
    expect(source(r, 'gnrcfg')).toContain('running Genropy processes');
    expect(values(r).daemon_port).toBeUndefined();
    expect(r.missing).toEqual([
      {
        name: 'prog_daemon',
        reason: 'gnrdaemon runs as the systemd unit gnrdaemon_venv.service, not as a supervisord program',
      },
    ]);
    expect(r.notes.join('\n')).not.toMatch(/task scheduler runs inside/); // <tasks async_impl="true">
    expect(r.notes.join('\n')).toMatch(/not running under supervisord: erp:erp_rms \(FATAL\)/);
  });

  it('says when another site shares the virtualenv (its register switches too)', async () => {
    const probe = fixtureProbe('deploy', {
      procs: (ps) => [
        ...ps,
        {
          pid: 1200,
          ppid: 800,
          argv: ['/srv/venv/bin/python3', '/srv/venv/bin/gnrasync', 'portal'],
          env: { VIRTUAL_ENV: '/srv/venv' },
        },
      ],
    });
    const r = await detectHost(probe, 'h');
    // Two sites run with this $GNRCFG: which one to migrate is not guessed.
    expect(r.missing.find((g) => g.name === 'site')?.reason).toMatch(/several sites .*erp, portal/);
    expect(r.notes.join('\n')).toMatch(/share the virtualenv \/srv\/venv/);
  });

  it('with no process at all, reads files only and says what it could not establish', async () => {
    const r = await detectHost(
      fixtureProbe('deploy', { env: { VIRTUAL_ENV: '/srv/venv' }, procs: () => [] }),
      'h',
    );
    expect(values(r)).toMatchObject({
      gnrcfg: '/srv/venv/etc/gnr',
      site: 'erp',
      supervisor_conf: '/srv/venv/etc/gnr/supervisord.conf',
    });
    expect(source(r, 'site')).toContain('the only instance');
    expect(values(r).prog_wsgi).toBe('erp:erp_gunicorn');
    expect(source(r, 'prog_wsgi')).toContain('[program:erp_gunicorn] command');
    expect(r.missing.map((g) => g.name)).toEqual(['prog_daemon']);
    expect(r.notes.join('\n')).toMatch(/no running Genropy process uses this \$GNRCFG/);
  });
});

describe("Genropy's $GNRCFG lookup (gnrconfig.py gnrConfigPath)", () => {
  const dirs = (...d: string[]) => ({ root: '/', isDir: async (p: string) => d.includes(p) });
  it('GENRO_GNRFOLDER when it is a folder, else VIRTUAL_ENV/etc/gnr even if absent, else ~/.gnr, else /etc/gnr', async () => {
    expect(await lookupGnrcfg({ GENRO_GNRFOLDER: '/g', VIRTUAL_ENV: '/v' }, '/h', dirs('/g'))).toEqual({
      path: '/g',
      rule: '$GENRO_GNRFOLDER',
    });
    expect((await lookupGnrcfg({ GENRO_GNRFOLDER: '/g', VIRTUAL_ENV: '/v' }, '/h', dirs())).path).toBe(
      '/v/etc/gnr',
    );
    expect((await lookupGnrcfg({}, '/h', dirs('/h/.gnr', '/etc/gnr'))).path).toBe('/h/.gnr');
    expect((await lookupGnrcfg({}, '/h', dirs('/etc/gnr'))).path).toBe('/etc/gnr');
    expect((await lookupGnrcfg({}, '/h', dirs())).path).toBeUndefined();
    expect((await lookupGnrcfg({ GENRO_GNRFOLDER: '~/cfg' }, '/h', dirs('/h/cfg'))).path).toBe('/h/cfg');
  });

  it('reads the daemon address, a socket in $GNRCFG/sockets, projects and <tasks async_impl>', () => {
    const x = readEnvironmentXml(
      `<GenRoBag><projects><a path="~/p"/><b path="$X/q"/></projects><gnrdaemon host="h" port="4" sockets="y"/><tasks async_impl="True"/></GenRoBag>`,
      '/cfg',
      { X: '/x' },
      '/home/u',
    );
    expect(x).toEqual({
      projects: ['/home/u/p', '/x/q'],
      daemon: { host: 'h', port: '4', socket: '/cfg/sockets/gnrdaemon.sock' },
      tasksAsync: true,
    });
  });
});

describe('evidence readers', () => {
  it('reads command lines as the program sees them', () => {
    expect(programArgv(['nginx: master process /usr/sbin/nginx -c /a.conf -g daemon off;'])).toEqual([
      '/usr/sbin/nginx',
      '-c',
      '/a.conf',
      '-g',
      'daemon',
      'off;',
    ]);
    expect(programArgv(['/v/bin/python3', '-u', '/v/bin/gnr', 'web', 'daemon'])).toEqual([
      '/v/bin/gnr',
      'web',
      'daemon',
    ]);
    expect(
      classify({ pid: 1, ppid: 0, argv: ['/v/bin/gnr', 'web', 'daemon', '-C', 'ping'], env: {} }),
    ).toBeUndefined();
    expect(
      classify({ pid: 1, ppid: 0, argv: ['/v/bin/gnr', 'web', 'daemon', 'mysite'], env: {} }),
    ).toMatchObject({ role: 'daemon', perSite: true, site: 'mysite' });
    expect(
      classify({
        pid: 1,
        ppid: 0,
        argv: ['/v/bin/gnr', 'web', 'serveprod', 's', '-c', 'g.py'],
        env: {},
        cwd: '/i',
      }),
    ).toMatchObject({ role: 'wsgi', site: 's', config: '/i/g.py' });
  });

  it('tells a program by what it execs, not by the wait loop before it', () => {
    expect(
      programRole(
        "/bin/bash -c 'until gnr web daemon -C ping; do sleep 1; done; exec gnr web serveprod s -c g.py'",
      ),
    ).toBe('wsgi');
    expect(programRole('/v/bin/gnr web daemon')).toBe('daemon');
    expect(programRole('nice /v/bin/gnr web taskworker s')).toBe('taskworker');
    expect(programRole("/usr/sbin/nginx -c /x -g 'daemon off;'")).toBe('nginx');
    expect(
      parseSupervisorStatus('g:a   RUNNING   pid 1, uptime 0:01:00\nb  FATAL  Exited too quickly\n'),
    ).toEqual([
      { name: 'g:a', state: 'RUNNING' },
      { name: 'b', state: 'FATAL' },
    ]);
  });

  it('reads proxy_pass targets, listen addresses and gunicorn binds', () => {
    expect(proxyTarget('http://unix:/s/g.sock:', {})).toEqual({ socket: '/s/g.sock' });
    expect(proxyTarget('http://app', { app: ['unix:/s/a.sock'] })).toEqual({ socket: '/s/a.sock' });
    expect(proxyTarget('http://127.0.0.1:8888/', {})).toEqual({ host: '127.0.0.1', port: 8888 });
    expect(listenAddress('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(listenAddress('80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(gunicornBinds("bind = ['unix:/s/g.sock', '127.0.0.1:8081']\n")).toEqual({
      sockets: ['/s/g.sock'],
      tcp: [{ host: '127.0.0.1', port: 8081 }],
    });
  });
});

describe('applyDetectedVars', () => {
  const plan = `version: 1
# head comment
vars:
  site: mysite # the site
  daemon_port: 40404
  gnrcfg: "\${env:GENRO_GNRFOLDER:-/etc/gnr}"
  keep: me
phases: []
`;
  const report: DetectReport = {
    version: 1,
    host: 'h',
    root: '/',
    found: [
      { name: 'site', value: 'erp', source: 'proc 1' },
      { name: 'daemon_port', value: 41000, source: 'environment.xml' },
      { name: 'layout', value: 'unix', source: 'nginx' },
    ],
    missing: [{ name: 'gnrcfg', reason: 'two deployments' }],
    notes: [],
  };

  it('edits only the detected values, keeps comments, appends new vars, marks what was not detected', () => {
    const { text, set, added } = applyDetectedVars(plan, report);
    expect(set).toEqual(['site', 'daemon_port']);
    expect(added).toEqual(['layout']);
    expect(text).toContain('  site: "erp" # the site (detected: proc 1)\n');
    expect(text).toContain('  daemon_port: 41000 # detected: environment.xml\n');
    expect(text).toContain('  gnrcfg: "${env:GENRO_GNRFOLDER:-/etc/gnr}" # NOT DETECTED: two deployments\n');
    expect(text).toContain('  layout: "unix" # detected: nginx\n');
    expect(text.startsWith('version: 1\n# head comment\nvars:\n')).toBe(true);
    expect(parse(text)).toEqual({
      version: 1,
      vars: {
        site: 'erp',
        daemon_port: 41000,
        gnrcfg: '${env:GENRO_GNRFOLDER:-/etc/gnr}',
        keep: 'me',
        layout: 'unix',
      },
      phases: [],
    });
  });
});
