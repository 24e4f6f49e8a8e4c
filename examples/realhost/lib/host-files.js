// @ts-check
// The host's files, laid out as Genropy's deploy builder (gnrpy/gnr/app/gnrdeploy.py) lays
// them out: gunicorn and gnrasync on unix sockets in <site>/sockets/, one supervisord file with
// programs <site>_gunicorn and <site>_gnrasync, nginx proxying to the sockets. Paths and ports
// come from the host's layout (hostLayout); everything lives under one folder.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { run } from './build.js';

/**
 * Every path of a host built in `dir` for `site` (instance and site share the name, as
 * `gnr dev mkproject` makes them).
 * @param {string} dir @param {string} site
 */
export function hostLayout(dir, site) {
  const instance = join(dir, 'projects', site, 'instances', site);
  const siteDir = join(instance, 'site');
  return {
    dir,
    site,
    venv: join(dir, 'venv'),
    bin: join(dir, 'venv/bin'),
    wheelhouse: join(dir, 'wheelhouse'),
    gnrcfg: join(dir, 'gnr'),
    projects: join(dir, 'projects'),
    instanceDir: instance,
    instanceConfig: join(instance, 'config'),
    siteDir,
    sockets: join(siteDir, 'sockets'),
    gunicornSocket: join(siteDir, 'sockets/gunicorn.sock'),
    asyncSocket: join(siteDir, 'sockets/async.sock'),
    // gnrdeploy.py: gunicorn_conf_path = <instance>/config/gunicorn.py
    gunicornConf: join(instance, 'config/gunicorn.py'),
    // gnrdeploy.py: the main supervisord file is $GNRCFG/supervisord.conf
    supervisorConf: join(dir, 'gnr/supervisord.conf'),
    supervisorSock: join(dir, 'run/supervisor.sock'),
    supervisorPid: join(dir, 'run/supervisord.pid'),
    nginxConf: join(dir, 'conf/nginx.conf'),
    nginxSite: join(dir, 'conf/sites-enabled', `${site}.conf`),
    nginxPid: join(dir, 'run/nginx.pid'),
    logs: join(dir, 'logs'),
    run: join(dir, 'run'),
    // TMPDIR of every process of the host: what a killed one leaves (Python's pymp-* folders)
    // goes with the host's folder.
    tmp: join(dir, 'tmp'),
    info: join(dir, 'realhost.json'),
  };
}

/** @typedef {ReturnType<typeof hostLayout>} HostLayout */
/** @typedef {{ http: number, wsgi: number, daemon: number }} HostPorts */

/** The environment every Genropy command of this host runs with. */
export function genropyEnv(L) {
  return {
    GENRO_GNRFOLDER: L.gnrcfg,
    VIRTUAL_ENV: L.venv,
    TMPDIR: L.tmp,
    PATH: `${L.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
  };
}

/**
 * $GNRCFG by `gnr app initgenropy`, then environment.xml and siteconfig/default.xml pointed at
 * this host's projects folder and daemon port (initgenropy writes port 40404, host localhost).
 * @param {HostLayout} L @param {HostPorts} ports @param {(l: string) => void} log
 */
export function writeGnrConfig(L, ports, log) {
  const env = { ...process.env, ...genropyEnv(L) };
  mkdirSync(L.gnrcfg, { recursive: true });
  if (!existsSync(join(L.gnrcfg, 'environment.xml'))) {
    log('gnr app initgenropy');
    run(join(L.bin, 'gnr'), ['app', 'initgenropy', '-N', 'realhost-hmac'], { env });
  }
  // Bag (Genropy's own XML reader/writer) edits the files, so they stay in Genropy's format.
  const script = `
import sys
from gnr.core.gnrbag import Bag
gnrcfg, projects, port = sys.argv[1:4]
p = gnrcfg + '/environment.xml'
b = Bag(p)
b.setItem('projects.local', None, dict(path=projects))
b.setAttr('gnrdaemon', host='127.0.0.1', port=port)
b.toXml(p, typevalue=False, pretty=True)
p = gnrcfg + '/siteconfig/default.xml'
b = Bag(p)
b.setAttr('gnrdaemon', host='127.0.0.1', port=port)
b.toXml(p, typevalue=False, pretty=True)
`;
  run(join(L.bin, 'python'), ['-c', script, L.gnrcfg, L.projects, String(ports.daemon)], { env });
}

/**
 * The project, instance and site (`gnr dev mkproject`, sqlite), its database (`gnr db setup`)
 * and one real test where `gnr dev tests` looks for tests (<instance>/tests).
 * @param {HostLayout} L @param {(l: string) => void} log
 */
export function writeProject(L, log) {
  const env = { ...process.env, ...genropyEnv(L) };
  mkdirSync(L.projects, { recursive: true });
  if (!existsSync(join(L.instanceConfig, 'instanceconfig.xml'))) {
    log(`gnr dev mkproject ${L.site} (sqlite; packages gnrcore:sys, gnrcore:adm)`);
    run(
      join(L.bin, 'gnr'),
      ['dev', 'mkproject', '-b', L.projects, '-i', L.site, '-A', 'gnrcore:sys,gnrcore:adm', L.site],
      {
        env,
      },
    );
  }
  const dbOk = join(L.run, 'db-setup.ok');
  if (!existsSync(dbOk)) {
    log(`gnr db setup ${L.site}`);
    run(join(L.bin, 'gnr'), ['db', 'setup', L.site], { env });
    writeFileSync(dbOk, '');
  }
  mkdirSync(join(L.instanceDir, 'tests'), { recursive: true });
  writeFileSync(
    join(L.instanceDir, 'tests/test_instance.py'),
    `from gnr.app.gnrapp import GnrApp


def test_instance_opens_and_queries():
    app = GnrApp(${JSON.stringify(L.site)})
    assert app.db.table('adm.user').query().count() >= 0
`,
  );
  mkdirSync(L.sockets, { recursive: true });
  mkdirSync(join(L.siteDir, 'logs'), { recursive: true });
}

/**
 * gnrdeploy.py's GUNICORN_DEFAULT_CONF_TEMPLATE, bound to the site's unix socket (what nginx
 * proxies to) and to 127.0.0.1:<wsgi> (direct probes without nginx).
 * @param {HostLayout} L @param {HostPorts} ports
 */
export function writeGunicornConf(L, ports) {
  writeFileSync(
    L.gunicornConf,
    `bind = ['unix:${L.gunicornSocket}', '127.0.0.1:${ports.wsgi}']
pidfile = '${join(L.siteDir, `${L.site}_pid`)}'
daemon = False
errorlog = '${join(L.siteDir, 'logs/error.log')}'
workers = ${Math.min(cpus().length + 1, 3)}
threads = 8
loglevel = 'error'
chdir = '${L.instanceDir}'
reload = False
capture_output = True
max_requests = 300
max_requests_jitter = 50
timeout = 1800
graceful_timeout = 600
`,
  );
}

/**
 * nginx: a main file of this host (pid, logs and temp folders under the host folder) that
 * includes the site file, which is gnrdeploy.py's NGINX_TEMPLATE listening on 127.0.0.1:<http>.
 * @param {HostLayout} L @param {HostPorts} ports
 */
export function writeNginxConf(L, ports) {
  mkdirSync(join(L.dir, 'conf/sites-enabled'), { recursive: true });
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(L.dir, 'nginx', t), { recursive: true });
  }
  writeFileSync(
    L.nginxConf,
    `user www-data;
worker_processes 1;
pid ${L.nginxPid};
error_log ${join(L.logs, 'nginx_error.log')};
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log ${join(L.logs, 'nginx_access.log')};
    client_body_temp_path ${join(L.dir, 'nginx/client_body')};
    proxy_temp_path ${join(L.dir, 'nginx/proxy')};
    fastcgi_temp_path ${join(L.dir, 'nginx/fastcgi')};
    uwsgi_temp_path ${join(L.dir, 'nginx/uwsgi')};
    scgi_temp_path ${join(L.dir, 'nginx/scgi')};
    include ${join(L.dir, 'conf/sites-enabled')}/*.conf;
}
`,
  );
  writeFileSync(
    L.nginxSite,
    `map $http_x_forwarded_proto $real_scheme {
            default $http_x_forwarded_proto;
            ''      $scheme;
}
server {
        listen 127.0.0.1:${ports.http};

        server_name localhost;

        root ${L.siteDir};

        error_log ${join(L.siteDir, 'logs/nginx_error.log')};
        proxy_connect_timeout       1800;
        proxy_send_timeout          1800;
        proxy_read_timeout          1800;
        send_timeout                1800;
        location /websocket {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "Upgrade";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $real_scheme;
            proxy_pass http://unix:${L.asyncSocket};
        }
        location / {
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $real_scheme;
            proxy_set_header Host $http_host;
            proxy_redirect off;
            proxy_pass http://unix:${L.gunicornSocket};
        }
}
`,
  );
  run('/usr/sbin/nginx', ['-t', '-q', '-e', join(L.logs, 'nginx_error.log'), '-c', L.nginxConf]);
}

/**
 * One supervisord file (gnrdeploy.py writes $GNRCFG/supervisord.conf) with gnrdaemon,
 * <site>_gunicorn, <site>_gnrasync and nginx. The site programs wait until gnrdaemon answers
 * (they die with "GnrDaemon is not started" otherwise). Every program stops as a group: a
 * plain SIGTERM to gnrdaemon orphans its children, which keep the daemon port.
 * `marker` goes into supervisord's environment, so that `down` finds every process it ever
 * started, even one orphaned by a crash.
 * @param {HostLayout} L @param {string} marker
 */
export function writeSupervisorConf(L, marker) {
  const env = genropyEnv(L);
  const envLine = [...Object.entries(env), ['GNR_REALHOST_ROOT', marker]]
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const gnr = join(L.bin, 'gnr');
  const waitDaemon = `n=0; until ${gnr} web daemon -C ping >/dev/null 2>&1 || [ $n -ge 60 ]; do n=$((n+1)); sleep 1; done; exec`;
  const program = (name, command, priority, log) => `[program:${name}]
command=${command}
priority=${priority}
startsecs=${name === 'nginx' ? 1 : 3}
stopasgroup=true
killasgroup=true
stdout_logfile=${join(L.logs, log)}
redirect_stderr=true
`;
  writeFileSync(
    L.supervisorConf,
    `[unix_http_server]
file=${L.supervisorSock}
chmod=0700

[supervisord]
logfile=${join(L.logs, 'supervisord.log')}
pidfile=${L.supervisorPid}
childlogdir=${L.logs}
loglevel=info
environment=${envLine}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://${L.supervisorSock}

${program('gnrdaemon', `${gnr} web daemon`, 10, 'gnrdaemon.log')}
${program(`${L.site}_gunicorn`, `/bin/bash -c '${waitDaemon} ${gnr} web serveprod ${L.site} -c ${L.gunicornConf}'`, 20, 'gunicorn.log')}
${program(`${L.site}_gnrasync`, `/bin/bash -c '${waitDaemon} ${gnr} web async ${L.site}'`, 30, 'gnrasync.log')}
${program('nginx', `/usr/sbin/nginx -e ${join(L.logs, 'nginx_error.log')} -c ${L.nginxConf} -g 'daemon off;'`, 40, 'nginx.log')}`,
  );
}
