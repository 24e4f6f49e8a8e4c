import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { createSandbox, fixture, type Sandbox, standIn } from '../helpers/sandbox-fixtures.js';

// The sandbox's command-line stand-ins that need no running service, each against what the
// real program printed on a real host (examples/sandbox/fixtures/realhost/) where the plan relies
// on it: pip, gnrasgiserve, supervisorctl, genro-asgi, python3 (the capability probes), pytest,
// nginx.
describe('sandbox stand-ins without services', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
  }, 60_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('pip: install/uninstall genropy-asgi print what the real pip prints, and add/remove the console script', () => {
    const inst = standIn(sb, 'pip', ['install', '--no-deps', 'genropy-asgi']);
    expect(inst.code).toBe(fixture('pip-install-genropy-asgi').code);
    expect(inst.out).toContain('Successfully installed genropy-asgi-0.2.0');
    expect(fixture('pip-install-genropy-asgi').out).toContain('Successfully installed genropy-asgi-0.2.0');
    expect(existsSync(join(sb.root, 'venv/bin/gnrasgiserve'))).toBe(true);
    const un = standIn(sb, 'pip', ['uninstall', '-y', 'genropy-asgi']);
    expect(un.code).toBe(fixture('pip-uninstall-genropy-asgi').code);
    for (const line of [
      'Found existing installation: genropy-asgi 0.2.0',
      'Successfully uninstalled genropy-asgi-0.2.0',
    ]) {
      expect(un.out).toContain(line);
      expect(fixture('pip-uninstall-genropy-asgi').out).toContain(line);
    }
    expect(existsSync(join(sb.root, 'venv/bin/gnrasgiserve'))).toBe(false);
  });

  it('gnrasgiserve: without genro-asgi it dies on import, as the real one', () => {
    standIn(sb, 'pip', ['uninstall', '-y', 'genro-asgi']);
    standIn(sb, 'pip', ['install', '--no-deps', 'genropy-asgi']);
    const r = standIn(sb, join(sb.root, 'venv/bin/gnrasgiserve'), ['acme_erp', '-p', '0']);
    const real = fixture('gnrasgiserve');
    expect(r.code).toBe(real.code);
    const last = (t: string) => t.trim().split('\n').at(-1);
    expect(last(r.err)).toBe(last(real.err));
    standIn(sb, 'pip', ['uninstall', '-y', 'genropy-asgi']);
    standIn(sb, 'pip', ['install', 'genro-asgi']);
  });

  it('supervisorctl: an unknown program is an error with exit 1, as the real one', () => {
    const real = fixture('supervisorctl-stop-not-running');
    const r = standIn(sb, 'supervisorctl', ['-c', sb.paths.supervisorConf, 'stop', 'no_such_program']);
    expect(r.code).toBe(real.code);
    expect(r.out).toBe(real.out);
  });

  it('python3 runs the plan capability probes: they block unless the sandbox stands in for the capability', () => {
    const probe = (pkg: string, cap: string, env: Record<string, string> = {}) =>
      standIn(sb, 'python3', ['-c', capabilityPy, pkg, cap], env);
    const none = probe('genro_asgi', 'wsgi_bridge');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/wsgi_bridge: missing capability a WSGI bridge/);
    expect(probe('genro_asgi', 'wsgi_bridge', { GNR_SANDBOX_UNRELEASED: 'wsgi_bridge' }).code).toBe(0);
    // genropy-asgi is not installed here: resident pages and NATS block, flag or not.
    expect(probe('genropy_asgi', 'nats', { GNR_SANDBOX_UNRELEASED: 'nats' }).err).toMatch(
      /cannot be imported/,
    );
  });

  it('genro-asgi refuses to serve the WSGI root unless the sandbox stands in for the bridge', () => {
    const r = standIn(sb, 'genro-asgi', ['serve', join(sb.paths.siteDir, 'asgi_front.py'), '--port', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no WSGI bridge/);
  });

  it('pytest runs the instance tests where `gnr dev tests` looks for them', () => {
    const r = standIn(sb, 'pytest', ['-q', join(sb.paths.instanceDir, 'tests')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 passed/);
  });

  it('nginx -t -c accepts the site and reports like nginx', () => {
    const r = standIn(sb, 'nginx', ['-t', '-c', sb.paths.nginxConf]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/test is successful/);
  });
});

/** The plan's own probe (vars.capability_py of migration/plan.yaml). */
const capabilityPy = (() => {
  const plan = readFileSync(join(repoRoot, 'migration/plan.yaml'), 'utf8');
  const block = /\n {2}capability_py: \|\n((?: {4}.*\n|\n)+)/.exec(plan)?.[1] ?? '';
  return block.replace(/^ {4}/gm, '');
})();
