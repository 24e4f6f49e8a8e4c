import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The package as a host receives it: `npm pack` (of the build `npm test` just made; the pack's
 * own `prepack` build is skipped so the bundle is not rebuilt under the other tests), installed
 * offline with an empty npm cache into a fresh prefix — what an air-gapped host does.
 */
describe('the packed tarball', () => {
  it('holds the launcher, the bundle, the schemas and the default plan, and installs offline', () => {
    const work = tempDir();
    const npm = (args: string[], cwd: string) =>
      spawnSync('npm', args, {
        cwd,
        encoding: 'utf8',
        env: {
          ...process.env,
          npm_config_update_notifier: 'false',
          npm_config_fund: 'false',
          npm_config_audit: 'false',
        },
      });
    const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], repoRoot);
    expect(packed.status, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path).sort();
    expect(files.length).toBeLessThan(60);
    expect(files).toContain('bin/gnr-migrate.js');
    expect(files).toContain('dist/bundle/main.js');
    expect(files).toContain('dist/bundle/file-worker.js');
    expect(files).toContain('migration/plan.yaml');
    expect(files).toContain('migration/fleet/playbook.yaml');
    expect(files).toContain('dist/schemas/plan.schema.json');
    expect(
      files.filter(
        (f) =>
          !/^(bin\/|dist\/bundle\/[^/]+\.js$|dist\/schemas\/|migration\/plan\.yaml$|migration\/fleet\/playbook\.yaml$|package\.json$|README\.md$|LICENSE)/.test(
            f,
          ),
      ),
    ).toEqual([]);

    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    // The bundle holds every library: nothing to fetch, no install script to run on the host.
    expect(pkg.dependencies ?? {}).toEqual({});
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare'])
      expect(pkg.scripts?.[s]).toBeUndefined();

    const prefix = join(work, 'prefix');
    const cache = join(work, 'empty-cache');
    const installed = npm(
      ['install', '-g', '--prefix', prefix, '--offline', '--cache', cache, join(work, info!.filename)],
      work,
    );
    expect(installed.status, `${installed.stdout}\n${installed.stderr}`).toBe(0);
    expect(installed.stderr).not.toMatch(/ENOTCACHED|prepare/);

    const bin = join(prefix, 'bin', 'gnr-migrate');
    expect(existsSync(bin)).toBe(true);
    const run = (args: string[], cwd: string) =>
      spawnSync(bin, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const version = run(['--version'], work);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version as unknown as string);
    const ws = tempDir();
    const init = run(['init'], ws);
    expect(init.status, init.stderr).toBe(0);
    expect(readdirSync(join(ws, 'migration')).sort()).toEqual(['plan.schema.json', 'plan.yaml']);
    const valid = run(['plan', 'validate'], ws);
    expect(valid.status, valid.stderr).toBe(0);
    expect(`${valid.stdout}${valid.stderr}`).toMatch(/valid \(\d+ phases/);
  });
});
