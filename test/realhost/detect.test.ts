import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectReport } from '../../src/detect/report.js';
import { json, runCli } from '../helpers/cli.js';
import { host, rehearsalEnv } from './host.js';

describe.skipIf(!host)('init --detect on the real host', () => {
  const h = host!;
  let ws = '';
  beforeAll(() => {
    ws = mkdtempSync(join(tmpdir(), 'gnrm-detect-'));
  });
  afterAll(() => {
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it('writes, in an empty folder, a plan whose vars are this host and which validates', async () => {
    const r = await runCli(['init', '--detect', '--json'], {
      cwd: ws,
      env: rehearsalEnv(h),
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ report: DetectReport; plan: string }>(r);
    const found = Object.fromEntries(out.report.found.map((f) => [f.name, f.value]));
    expect(found).toMatchObject({
      gnrcfg: h.paths.gnrcfg,
      venv: h.paths.venv,
      projects: h.paths.projects,
      project: h.site,
      instance: h.site,
      site: h.site,
      instance_dir: h.paths.instanceDir,
      site_dir: h.paths.siteDir,
      daemon_host: '127.0.0.1',
      daemon_port: h.ports.daemon,
      daemon_mode: 'tcp',
      supervisor_conf: h.paths.supervisorConf,
      prog_daemon: 'gnrdaemon',
      prog_wsgi: `${h.site}_gunicorn`,
      prog_async: `${h.site}_gnrasync`,
      nginx_main_conf: h.paths.nginxConf,
      nginx_site: h.paths.nginxSite,
      nginx_port: h.ports.http,
      layout: 'unix',
      wsgi_upstream: `http://unix:${h.paths.gunicornSocket}`,
      async_upstream: `http://unix:${h.paths.asyncSocket}`,
      gunicorn_conf: h.paths.gunicornConf,
      gunicorn_port: h.ports.wsgi,
    });
    // Other hosts on this machine (another harness, a sandbox) are named and left out.
    expect(out.report.missing.map((g) => g.name)).toEqual([]);
    const v = await runCli(['plan', 'validate'], { cwd: ws, env: rehearsalEnv(h) });
    expect(v.code, v.stderr).toBe(0);
  });
});
