import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTortureTree, expectSameTree } from '../helpers/backup-torture.js';
import { json, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { walkTree } from '../helpers/tree.js';

/** Build first: `npm run build` (these run bin/gnr-migrate.js, which loads the rolldown bundle). */

function workspace(opts: { manySmall?: number; bigMiB?: number } = {}) {
  const root = tempDir('gnrm-e2e-backup-');
  const ws = join(root, 'ws');
  const site = join(root, 'site');
  const conf = join(root, 'nginx.conf');
  mkdirSync(join(ws, 'migration'), { recursive: true });
  buildTortureTree(site, {
    bigMiB: opts.bigMiB ?? 0,
    ...(opts.manySmall ? { manySmall: opts.manySmall } : {}),
  });
  writeFileSync(conf, 'server { listen 8080; }\n');
  writeFileSync(
    join(ws, 'migration', 'plan.yaml'),
    `version: 1
project: e2e
systems:
  site: { path: ${JSON.stringify(site)}, exclude: ["logs/**"] }
  nginx: { path: ${JSON.stringify(conf)} }
path: [0]
phases:
  - id: 0
    title: zero
    backup: [site, nginx]
`,
  );
  return { root, ws, site, conf };
}

type Listed = { backups: Array<{ id: string; system: string; files: number; phase: number | null }> };

describe('gnr-migrate backup', () => {
  it('creates, lists, verifies and restores, recording the run in the ledger', async () => {
    const { ws, site, conf } = workspace({ manySmall: 300 });
    const original = walkTree(site);
    // Worker threads on, so the compiled worker path is exercised too.
    const env = { GNR_MIGRATE_BACKUP_THREADS: '2' };
    const created = await runCli(['backup', 'create', '--json'], { cwd: ws, env });
    expect(created.code, created.stderr).toBe(0);
    const doc = json<{ runId: string; backups: Array<{ id: string; system: string }> }>(created);
    expect(doc.backups.map((b) => b.system)).toEqual(['site', 'nginx']);

    const listed = json<Listed>(await runCli(['backup', 'list', '--json'], { cwd: ws }));
    expect(listed.backups.map((b) => b.id)).toEqual(doc.backups.map((b) => b.id));
    const human = await runCli(['backup', 'list'], { cwd: ws });
    expect(human.stdout).toMatch(/SYSTEM\s+ID\s+PHASE\s+FILES\s+BYTES\s+AGE/);
    expect(human.stdout).toContain('by hand');

    const state = JSON.parse(readFileSync(join(ws, 'migration', 'state.json'), 'utf8'));
    expect(state.runs).toEqual([
      expect.objectContaining({
        id: doc.runId,
        kind: 'backup',
        phase: null,
        status: 'succeeded',
        backups: doc.backups.map((b) => b.id),
      }),
    ]);

    const verified = await runCli(['backup', 'verify'], { cwd: ws, env });
    expect(verified.code, verified.stderr).toBe(0);

    rmSync(join(site, 'many'), { recursive: true });
    writeFileSync(join(site, 'zero.bin'), 'no longer empty');
    writeFileSync(conf, 'broken');
    const siteId = doc.backups[0]!.id;
    const restored = await runCli(['backup', 'restore', siteId, '--yes'], { cwd: ws, env });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(/the previous state is backup site_/);
    expectSameTree(walkTree(site), original);
    const r2 = await runCli(['backup', 'restore', doc.backups[1]!.id, '--yes'], { cwd: ws });
    expect(r2.code, r2.stderr).toBe(0);
    expect(readFileSync(conf, 'utf8')).toBe('server { listen 8080; }\n');
  });

  it('exits 1 naming a damaged file, and restore exits 3 leaving the target alone', async () => {
    const { ws, site } = workspace();
    expect((await runCli(['backup', 'create', 'site'], { cwd: ws })).code).toBe(0);
    const [b] = json<Listed>(await runCli(['backup', 'list', '--json'], { cwd: ws })).backups;
    const victim = join(ws, 'backups', b!.id, 'data', 'with space.txt');
    const bytes = readFileSync(victim);
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    writeFileSync(victim, bytes);
    const verified = await runCli(['backup', 'verify', b!.id], { cwd: ws });
    expect(verified.code).toBe(1);
    expect(verified.stderr).toContain('"with space.txt"');
    expect(verified.stderr).toContain('changed');

    writeFileSync(join(site, 'zero.bin'), 'live state');
    const before = walkTree(site);
    const restored = await runCli(['backup', 'restore', b!.id, '--yes'], { cwd: ws });
    expect(restored.code).toBe(3);
    expect(restored.stderr).toContain('with space.txt');
    expectSameTree(walkTree(site), before);
  });

  it('refuses unknown systems and backups with exit 2, naming what exists', async () => {
    const { ws } = workspace();
    const bad = await runCli(['backup', 'create', 'nope'], { cwd: ws });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('systems of the plan: site, nginx');
    expect((await runCli(['backup', 'create', 'nginx'], { cwd: ws })).code).toBe(0);
    const unknown = await runCli(['backup', 'restore', 'nginx_20200101-000000'], { cwd: ws });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/backups of nginx: nginx_\d{8}-\d{6}/);
    expect((await runCli(['backup', 'verify', '../x'], { cwd: ws })).code).toBe(2);
  });

  it('leaves no visible backup when killed halfway, and the next run cleans up', async () => {
    const { ws, root } = workspace();
    // Enough small files that the copy takes a while on any machine.
    const big = join(root, 'site', 'bulk');
    mkdirSync(big);
    const block = 'x'.repeat(4096);
    for (let d = 0; d < 40; d++) {
      mkdirSync(join(big, `d${d}`));
      for (let f = 0; f < 200; f++) writeFileSync(join(big, `d${d}`, `f${f}`), block);
    }
    const backups = join(ws, 'backups');
    let sawTemporary = false;
    const killed = await runCli(['backup', 'create', 'site'], {
      cwd: ws,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          const names = existsSync(backups) ? readdirSync(backups) : [];
          if (
            names.some((n) => n.startsWith('.tmp-')) &&
            existsSync(join(backups, names.find((n) => n.startsWith('.tmp-'))!, 'data', 'bulk'))
          ) {
            sawTemporary = true;
            child.kill('SIGKILL');
            clearInterval(poll);
          }
        }, 2);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(sawTemporary, 'the backup finished before it could be killed').toBe(true);
    expect(killed.signal).toBe('SIGKILL');
    expect(readdirSync(backups).some((n) => n.startsWith('.tmp-'))).toBe(true);
    expect(json<Listed>(await runCli(['backup', 'list', '--json'], { cwd: ws })).backups).toEqual([]);
    const status = await runCli(['status', '--json'], { cwd: ws });
    expect(json<{ backups: number }>(status).backups).toBe(0);

    const next = await runCli(['backup', 'create', 'nginx'], { cwd: ws });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/removed .*\.tmp-\d+-site_/);
    expect(readdirSync(backups).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(json<Listed>(await runCli(['backup', 'list', '--json'], { cwd: ws })).backups).toHaveLength(1);
  });

  it('prunes, keeping what the current phase rollback needs and saying why', async () => {
    const { ws } = workspace();
    for (let i = 0; i < 3; i++) {
      expect((await runCli(['backup', 'create', 'nginx'], { cwd: ws })).code).toBe(0);
      await new Promise((r) => setTimeout(r, 1100)); // distinct seconds, distinct ids
    }
    const ids = json<Listed>(await runCli(['backup', 'list', '--json'], { cwd: ws })).backups.map(
      (b) => b.id,
    );
    // The ledger says phase 0 is applied by a run that backed up the oldest one.
    const statePath = join(ws, 'migration', 'state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    state.current = 0;
    state.runs.push({
      id: 'r-phase0',
      kind: 'phase',
      phase: 0,
      from: null,
      to: 0,
      status: 'succeeded',
      startedAt: new Date().toISOString(),
      host: 'h',
      user: 'u',
      pid: 1,
      backups: [ids[0]],
    });
    writeFileSync(statePath, JSON.stringify(state));
    const dry = await runCli(['backup', 'prune', '--keep', '1', '--dry-run', '--json'], { cwd: ws });
    expect(json(dry)).toMatchObject({ dryRun: true, deleted: [ids[1]] });
    const pruned = await runCli(['backup', 'prune', '--keep', '1'], { cwd: ws });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toContain(`keep    ${ids[0]}  the rollback of phase 0 restores it (run r-phase0)`);
    expect(pruned.stderr).toContain(`deleted ${ids[1]}`);
    expect(
      json<Listed>(await runCli(['backup', 'list', '--json'], { cwd: ws })).backups.map((b) => b.id),
    ).toEqual([ids[0], ids[2]]);
  });
});
