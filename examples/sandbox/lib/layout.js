// The disk layout of a Genropy host (DESIGN §3), written into the sandbox root: $GNRCFG, the
// project with its packages, instance and site, nginx and its site file, supervisord and its
// program files, systemd units, the site's Python environment, and `bin/` of stand-ins.

import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sandboxPaths } from './common.js';
import { installBasePackages, standInNames } from './standins.js';

/** Names of the sandbox's project, instance and site (distinct, to catch a var used for another). */
export const names = { project: 'acme', instance: 'acme_erp', site: 'acme_erp', package: 'erp' };

function write(file, text, mode) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  if (mode) chmodSync(file, mode);
}

/**
 * @param {string} root
 * @param {{ nginx: number, gunicorn: number, async: number, daemon: number, asgi: number, asgiGreen: number, nats: number }} ports
 * @param {{ otherSite?: boolean }} [options]
 */
export function writeLayout(root, ports, options = {}) {
  const P = sandboxPaths(root);
  const { project, instance, site, package: pkg } = names;
  const projectDir = join(P.projects, project);
  const instanceDir = join(projectDir, 'instances', instance);
  const siteDir = join(projectDir, 'sites', site);
  const supervisorLogs = join(P.logs, 'supervisor');

  for (const d of [
    P.run,
    P.supervisorRun,
    P.systemdRun,
    join(P.logs, 'nginx'),
    supervisorLogs,
    join(P.logs, 'journal'),
  ])
    mkdirSync(d, { recursive: true });
  writeFileSync(P.registry, '');

  // ── $GNRCFG ──
  write(
    join(P.gnrcfg, 'environment.xml'),
    `<?xml version='1.0' encoding='UTF-8'?>
<GenRoBag>
  <environment>
    <gnrhome value="${join(root, 'srv/genropy/genropy')}"/>
  </environment>
  <projects>
    <genropy path="${join(root, 'srv/genropy/genropy/projects')}"/>
    <custom path="${P.projects}"/>
  </projects>
  <packages>
    <genropy path="${join(root, 'srv/genropy/genropy/packages')}"/>
  </packages>
  <static>
    <js>
      <dojo_11 path="${join(root, 'srv/genropy/genropy/dojo_libs/dojo_11')}" cdn=""/>
      <gnr_11 path="${join(root, 'srv/genropy/genropy/gnrjs/gnr_d11')}" cdn=""/>
    </js>
  </static>
  <gnrdaemon host="127.0.0.1" port="${ports.daemon}" hmac_key="sandbox-secret"/>
</GenRoBag>
`,
  );
  write(
    join(P.gnrcfg, 'instanceconfig/default.xml'),
    `<?xml version='1.0' encoding='UTF-8'?>
<GenRoBag>
  <packages>
    <gnrcore_sys/>
    <gnrcore_adm/>
  </packages>
  <db implementation="postgres" host="127.0.0.1" user="genropy" password="sandbox"/>
</GenRoBag>
`,
  );
  write(
    join(P.gnrcfg, 'siteconfig/default.xml'),
    `<?xml version='1.0' encoding='UTF-8'?>
<GenRoBag>
  <wsgi debug="false" cache_max_age="5184000"/>
  <gui css_theme="modern"/>
  <cleanup interval="120" page_max_age="120" connection_max_age="600"/>
</GenRoBag>
`,
  );
  mkdirSync(join(P.gnrcfg, 'sockets'), { recursive: true });

  // ── the project: packages, instance, site ──
  write(
    join(projectDir, 'packages', pkg, 'main.py'),
    `#!/usr/bin/env python\n# encoding: utf-8\nfrom gnr.app.gnrdbo import GnrDboPackage\n\nclass Package(GnrDboPackage):\n    def config_attributes(self):\n        return dict(comment='${pkg} package', sqlschema='${pkg}', language='en')\n\nclass Table(object):\n    pass\n`,
  );
  write(
    join(projectDir, 'packages', pkg, 'model/invoice.py'),
    `# encoding: utf-8\n\nclass Table(object):\n    def config_db(self, pkg):\n        tbl = pkg.table('invoice', pkey='id', name_long='Invoice')\n        self.sysFields(tbl)\n        tbl.column('number', size=':12', name_long='Number')\n        tbl.column('date', dtype='D', name_long='Date')\n        tbl.column('total', dtype='N', name_long='Total')\n`,
  );
  write(
    join(projectDir, 'packages', pkg, 'webpages/index.py'),
    `# encoding: utf-8\n\nclass GnrCustomWebPage(object):\n    py_requires = 'th/th:TableHandler'\n\n    def main(self, root, **kwargs):\n        root.contentPane().div('Invoices')\n`,
  );
  write(
    join(projectDir, 'packages', pkg, 'test/test_invoice.py'),
    `def test_invoice_number_format():\n    assert 'INV-0001'.startswith('INV-')\n\n\ndef test_invoice_total():\n    assert round(10.1 + 20.2, 2) == 30.3\n\n\ndef test_invoice_dates():\n    assert '2026-01-31' < '2026-02-01'\n`,
  );
  write(
    join(projectDir, 'packages', pkg, 'test/test_pages.py'),
    `def test_page_id_length():\n    assert len('abcdefghijklmnopqrstuv') == 22\n\n\ndef test_page_lifecycle():\n    assert True\n\n\ndef test_websocket_push():\n    assert True\n`,
  );
  // The site's own tests, where `gnr dev tests` looks for them (<instance>/tests).
  write(
    join(instanceDir, 'tests/test_instance.py'),
    `def test_instance_opens():\n    assert '${instance}'\n\n\ndef test_instance_queries():\n    assert sum([1, 2]) == 3\n`,
  );
  write(
    join(instanceDir, 'config/instanceconfig.xml'),
    `<?xml version='1.0' encoding='UTF-8'?>
<GenRoBag>
  <packages>
    <gnrcore_sys/>
    <gnrcore_adm/>
    <${pkg}/>
  </packages>
  <db implementation="postgres" dbname="${instance}" host="127.0.0.1" user="genropy"/>
</GenRoBag>
`,
  );
  write(
    join(instanceDir, 'config/siteconfig.xml'),
    `<?xml version='1.0' encoding='UTF-8'?>
<GenRoBag>
  <wsgi mainpackage="${pkg}" home_uri="/" />
  <gui css_theme="modern"/>
  <sitedaemon/>
</GenRoBag>
`,
  );
  const siteFiles = (dir, name) => {
    write(
      join(dir, 'root.py'),
      `import sys\nsys.stdout = sys.stderr\nfrom gnr.web.gnrwsgisite import GnrWsgiSite\nsite = GnrWsgiSite(__file__)\n\ndef application(environ, start_response):\n    return site(environ, start_response)\n`,
    );
    mkdirSync(join(dir, 'sockets'), { recursive: true });
    write(join(dir, 'logs/error.log'), `2026-01-01 08:00:00 INFO    gnr.web site ${name} started\n`);
    write(
      join(dir, 'data/_connections/Kq2Vb7mXn4TzR8wPy1LcAe.xml'),
      `<?xml version='1.0' encoding='UTF-8'?>\n<GenRoBag><connection_id>Kq2Vb7mXn4TzR8wPy1LcAe</connection_id><user>admin</user></GenRoBag>\n`,
    );
    write(
      join(dir, 'data/_users/admin.xml'),
      `<?xml version='1.0' encoding='UTF-8'?>\n<GenRoBag><user>admin</user><prefs theme="modern"/></GenRoBag>\n`,
    );
    write(join(dir, 'data/_storage/attachments/README.txt'), `uploaded files of ${name}\n`);
  };
  siteFiles(siteDir, site);
  write(
    join(siteDir, 'gunicorn.conf.py'),
    `# gunicorn settings for \`gnr web serveprod ${instance}\` (read with -c)\nbind = "127.0.0.1:${ports.gunicorn}"\nworkers = 5\ntimeout = 120\ngraceful_timeout = 30\nmax_requests = 2000\n`,
  );
  write(
    join(siteDir, 'asgi_front.py'),
    `"""AsgiServer recipe for the Genropy site ${site}: genro-asgi serving the site's WSGI root
(root.py), with the WebSocket and executor infrastructure ready (gnr-migrate phase 0).

Launched by \`genro-asgi serve ${join(siteDir, 'asgi_front.py')} --port N\` from supervisord.
Written by the operator before phase 0: adapt it to your genro-asgi version.
"""
import os

SITE = os.path.join(os.path.dirname(__file__), 'root.py')
`,
  );
  write(
    join(siteDir, 'asgi_resident.py'),
    `# gnrasgiserve --config: the server configuration of phase 5 (resident pages), written by
# the operator from genropy-asgi's documentation once it has them. In the sandbox it only
# exists: the capability is stood in for with GNR_SANDBOX_UNRELEASED=resident_pages.
`,
  );
  if (options.otherSite) siteFiles(join(projectDir, 'sites', 'acme_portal'), 'acme_portal');

  // ── nginx ──
  write(
    P.nginxConf,
    `# Sandbox stand-in for /etc/nginx/nginx.conf
pid ${P.nginxPid};
error_log ${join(P.logs, 'nginx/error.log')};
worker_processes 1;

events {
    worker_connections 256;
}

http {
    sendfile on;
    keepalive_timeout 65;
    access_log ${join(P.logs, 'nginx/access.log')};
    include ${join(P.nginxDir, 'sites-enabled')}/*;
}
`,
  );
  write(
    join(P.nginxDir, `sites-available/${site}.conf`),
    `# Genropy site ${site}: nginx in front of gunicorn (/) and gnrasync (/websocket)
server {
    listen 127.0.0.1:${ports.nginx};
    server_name _;
    client_max_body_size 50m;

    location /websocket {
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "Upgrade";
        proxy_set_header Host $host;
        proxy_read_timeout 3600s;
        proxy_pass http://127.0.0.1:${ports.async};
    }

    location / {
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_read_timeout 120s;
        proxy_pass http://127.0.0.1:${ports.gunicorn};
    }
}
`,
  );
  mkdirSync(join(P.nginxDir, 'sites-enabled'), { recursive: true });
  symlinkSync(`../sites-available/${site}.conf`, join(P.nginxDir, `sites-enabled/${site}.conf`));

  // ── supervisord ──
  write(
    P.supervisorConf,
    `; Sandbox stand-in for /etc/supervisor/supervisord.conf
[unix_http_server]
file=${join(P.run, 'supervisor.sock')}

[supervisord]
logfile=${join(supervisorLogs, 'supervisord.log')}
pidfile=${join(P.run, 'supervisord.pid')}

[supervisorctl]
serverurl=unix://${join(P.run, 'supervisor.sock')}

[include]
files = conf.d/*.conf
`,
  );
  const program = (name, command, { directory = siteDir, priority = 200 } = {}) =>
    write(
      join(P.supervisorDir, `${name}.conf`),
      `[program:${name}]
command=${command}
directory=${directory}
autostart=true
autorestart=true
startsecs=1
stopwaitsecs=30
stopasgroup=true
killasgroup=true
priority=${priority}
stdout_logfile=${join(supervisorLogs, `${name}.log`)}
redirect_stderr=true
`,
    );
  program('gnrdaemon', 'gnr web daemon', { directory: P.projects, priority: 100 });
  program('gunicorn', `gnr web serveprod ${instance} -c ${join(siteDir, 'gunicorn.conf.py')}`);
  program('gnrasync', `gnr web async ${site} -p ${ports.async}`);
  program('gnrtaskscheduler', `gnr web taskscheduler ${site}`, { priority: 300 });
  program('gnrtaskworker', `gnr web taskworker ${site}`, { priority: 300 });

  // ── systemd units ──
  write(
    join(P.systemdDir, 'nginx.service'),
    `[Unit]
Description=A high performance web server and a reverse proxy server (sandbox)

[Service]
Type=simple
PIDFile=${P.nginxPid}
ExecStart=${join(P.bin, 'nginx')} -g "daemon off;"
ExecReload=${join(P.bin, 'nginx')} -s reload
`,
  );
  write(
    join(P.systemdDir, 'nats-server.service'),
    `[Unit]
Description=NATS Server (sandbox)

[Service]
ExecStart=${join(P.bin, 'nats-server')} -a 127.0.0.1 -p ${ports.nats}
`,
  );

  // ── the site's Python environment ──
  installBasePackages(P);

  // ── bin/: one launcher per stand-in ──
  const lib = pathToFileURL(fileURLToPath(new URL('./standins.js', import.meta.url))).href;
  for (const name of standInNames) {
    write(
      join(P.bin, name),
      `#!/usr/bin/env node
// Sandbox stand-in for \`${name}\` (gnr-migrate examples/sandbox).
process.env.GNR_SANDBOX_ROOT = ${JSON.stringify(root)};
import(${JSON.stringify(lib)}).then((m) => m.main(${JSON.stringify(name)}, process.argv.slice(2)));
`,
      0o755,
    );
  }
  return { P, projectDir, instanceDir, siteDir };
}
