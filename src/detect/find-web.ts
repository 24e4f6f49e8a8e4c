import { join } from 'node:path';
import { gunicornBinds } from './gunicorn.js';
import { listenAddress, type NginxConfig, type NginxServer, proxyTarget, readNginxConfig } from './nginx.js';
import { asNginxMaster } from './proc.js';
import type { Scan } from './scan.js';

/**
 * The web front: gunicorn's settings and binds, gnrasync's port, and the nginx server that
 * proxies / to the site (its files, listen address, upstreams, unix or TCP).
 */
export async function findWebFront({ probe, ev, procs, selected }: Scan): Promise<void> {
  const siteDir = ev.get('site_dir') as string | undefined;
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
