import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../examples/sandbox/sandbox.js';
import type { DetectReport } from '../../src/detect/report.js';
import { json, runCli } from '../helpers/cli.js';

type Sandbox = Awaited<ReturnType<typeof createSandbox>>;

// `init --detect` on the sandbox host: its files live under the sandbox folder, so /etc/... is
// read under --host-root; processes, supervisorctl and the rest are the sandbox's own.
describe('init --detect on the sandbox', () => {
  let sb: Sandbox;
  const ws = mkdtempSync(join(tmpdir(), 'gnrm-detect-sbx-'));
  beforeAll(async () => {
    sb = await createSandbox();
  });
  afterAll(async () => {
    rmSync(ws, { recursive: true, force: true });
    if (sb) await sb.stop({ remove: true });
  });

  it('finds the vars the sandbox itself publishes, and writes a plan that validates', async () => {
    const r = await runCli(['init', '--detect', '--host-root', sb.root, '--json'], { cwd: ws, env: sb.env });
    expect(r.code, r.stderr).toBe(0);
    const { report } = json<{ report: DetectReport }>(r);
    const found = Object.fromEntries(report.found.map((f) => [f.name, String(f.value)]));
    for (const name of [
      'projects',
      'project',
      'instance',
      'site',
      'nginx_site',
      'nginx_port',
      'gunicorn_port',
      'async_port',
      'daemon_port',
    ]) {
      // The names the sandbox publishes for its plan; the ones it does not are checked below.
      if (name in sb.vars) expect(found[name], name).toBe(String(sb.vars[name]));
    }
    expect(found).toMatchObject({
      site: 'acme_erp',
      supervisor_conf: join(sb.root, 'etc/supervisor/supervisord.conf'),
      supervisor_dir: join(sb.root, 'etc/supervisor'),
      nginx_site: join(sb.root, 'etc/nginx/sites-available/acme_erp.conf'),
      layout: 'tcp',
      prog_daemon: 'gnrdaemon',
      prog_wsgi: 'gunicorn',
      prog_async: 'gnrasync',
    });
    // The sandbox's "virtualenv" is a bare site-packages folder: said, not guessed.
    expect(report.missing.map((g) => g.name)).toEqual(['venv']);
    const plan = readFileSync(join(ws, 'migration/plan.yaml'), 'utf8');
    expect(plan).toMatch(/^ {2}site: "acme_erp" .*detected: /m);
    expect(JSON.parse(readFileSync(join(ws, 'migration/detected.json'), 'utf8'))).toEqual(report);
    const v = await runCli(['plan', 'validate'], { cwd: ws, env: sb.env });
    expect(v.code, v.stderr).toBe(0);
  });

  it('refuses --host-root without --detect, and an existing plan without --force (exit 2, nothing changed)', async () => {
    const a = await runCli(['init', '--host-root', sb.root], { cwd: ws, env: sb.env });
    expect(a.code).toBe(2);
    const before = readFileSync(join(ws, 'migration/plan.yaml'), 'utf8');
    const b = await runCli(['init', '--detect', '--host-root', sb.root], { cwd: ws, env: sb.env });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('already exists');
    expect(readFileSync(join(ws, 'migration/plan.yaml'), 'utf8')).toBe(before);
  });
});
