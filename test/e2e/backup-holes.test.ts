import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';
import { rsyncDiff } from '../helpers/rsync-diff.js';
import { tempDir } from '../helpers/tmp.js';

/** The holes of issue 13, each reproduced against the built binary. */

function workspace(exclude: string[] = ['logs/**']) {
  const root = tempDir('gnrm-e2e-holes-');
  const ws = join(root, 'ws');
  const site = join(root, 'site');
  mkdirSync(join(ws, 'migration'), { recursive: true });
  mkdirSync(site);
  writeFileSync(join(site, 'keep.txt'), 'kept');
  writeFileSync(
    join(ws, 'migration', 'plan.yaml'),
    `version: 1
project: e2e
systems:
  site: { path: ${JSON.stringify(site)}, exclude: ${JSON.stringify(exclude)} }
path: [0]
phases:
  - id: 0
    title: zero
    backup: [site]
`,
  );
  return { root, ws, site };
}

async function backup(
  ws: string,
): Promise<{ id: string; skipped?: Array<{ path: string; reason: string }> }> {
  const r = await runCli(['backup', 'create', '--json'], { cwd: ws });
  expect(r.code, r.stderr).toBe(0);
  return json<{ backups: Array<{ id: string }> }>(r).backups[0]!;
}

describe('backup holes (issue 13)', () => {
  it('a restore never moves excluded paths through a symlink of the backup', async () => {
    const { root, ws, site } = workspace();
    const outside = join(root, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(site, 'logs'));
    const { id } = await backup(ws);
    rmSync(join(site, 'logs'));
    mkdirSync(join(site, 'logs'));
    writeFileSync(join(site, 'logs', 'evil'), 'evil');
    const r = await runCli(['backup', 'restore', id, '--yes'], { cwd: ws });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(outside)).toEqual([]);
    expect(lstatSync(join(site, 'logs')).isSymbolicLink()).toBe(true);
    expect(r.stderr).toMatch(/not carried over.*logs\/evil/);
  });

  it('restores into the plan path, not the manifest source (a mismatch is reported)', async () => {
    const { root, ws, site } = workspace();
    const victim = join(root, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'precious'), 'do not touch');
    const { id } = await backup(ws);
    const manifest = join(ws, 'backups', id, 'manifest.json');
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, text.replace(JSON.stringify(site), JSON.stringify(victim)));
    writeFileSync(join(site, 'keep.txt'), 'changed');
    const r = await runCli(['backup', 'restore', id, '--yes'], { cwd: ws });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(victim, 'precious'), 'utf8')).toBe('do not touch');
    expect(readFileSync(join(site, 'keep.txt'), 'utf8')).toBe('kept');
    expect(r.stderr).toContain(`was taken of ${victim}`);
  });

  it('keeps modification times before 1970', async () => {
    const { root, ws, site } = workspace();
    utimesSync(join(site, 'keep.txt'), new Date(-86_400_000 * 400), new Date(-86_400_000 * 400));
    const { id } = await backup(ws);
    const to = join(root, 'copy');
    const r = await runCli(['backup', 'restore', id, '--to', to, '--yes'], { cwd: ws });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(to, 'keep.txt')).mtimeMs).toBe(-86_400_000 * 400);
  });

  it('a refused restore changes nothing: not the target, its parent, nor the ledger', async () => {
    const { root, ws } = workspace();
    const { id } = await backup(ws);
    writeFileSync(join(ws, 'backups', id, 'data', 'keep.txt'), 'KEPT'); // same size, other bytes
    const parent = join(root, 'p');
    mkdirSync(parent);
    utimesSync(parent, new Date(1_000_000_000_000), new Date(1_000_000_000_000));
    const state = readFileSync(join(ws, 'migration', 'state.json'), 'utf8');
    const into = await runCli(['backup', 'restore', id, '--to', join(parent, 'new', 'target'), '--yes'], {
      cwd: ws,
    });
    expect(into.code, into.stderr).toBe(3);
    expect(readdirSync(parent)).toEqual([]);
    expect(statSync(parent).mtimeMs).toBe(1_000_000_000_000);
    const beside = await runCli(['backup', 'restore', id, '--to', join(parent, 'target'), '--yes'], {
      cwd: ws,
    });
    expect(beside.code, beside.stderr).toBe(3);
    expect(readdirSync(parent)).toEqual([]);
    expect(statSync(parent).mtimeMs).toBe(1_000_000_000_000);
    expect(readFileSync(join(ws, 'migration', 'state.json'), 'utf8')).toBe(state);
  });

  it('a temp file of a killed journal write does not survive the next command', async () => {
    const { ws } = workspace();
    await backup(ws);
    const left = join(ws, 'backups', '..restore-999999-abcd0123.json.tmp-999999-abcd0123');
    writeFileSync(left, '{');
    await backup(ws);
    expect(existsSync(left)).toBe(false);
  });

  it('copies again a same-size edit whose mtime was put back (the quick check sees the ctime)', async () => {
    const { root, ws, site } = workspace();
    const file = join(site, 'keep.txt');
    utimesSync(file, 1_600_000_000, 1_600_000_000);
    await backup(ws);
    writeFileSync(file, 'KEPT'); // same size
    utimesSync(file, 1_600_000_000, 1_600_000_000); // like cp -p, rsync -t, tar x, touch -r
    const { id } = await backup(ws);
    const to = join(root, 'copy');
    const r = await runCli(['backup', 'restore', id, '--to', to, '--yes'], { cwd: ws });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(to, 'keep.txt'), 'utf8')).toBe('KEPT');
  });

  it('keeps names that are not UTF-8, through backup, verify and restore', async () => {
    const { root, ws, site } = workspace();
    const bad = Buffer.from([0x62, 0x61, 0x64, 0xff, 0x6e, 0x61, 0x6d, 0x65]); // bad\xffname
    const dir = Buffer.concat([Buffer.from(`${site}/`), Buffer.from([0xe9, 0x74, 0xe9])]); // été in Latin-1
    writeFileSync(Buffer.concat([Buffer.from(`${site}/`), bad]), 'latin-1 upload');
    mkdirSync(dir);
    writeFileSync(Buffer.concat([dir, Buffer.from('/'), bad]), 'inside');
    symlinkSync(bad, Buffer.concat([dir, Buffer.from('/link')]));
    const { id, skipped } = await backup(ws);
    expect(skipped).toEqual([]);
    const verified = await runCli(['backup', 'verify', id], { cwd: ws });
    expect(verified.code, verified.stderr).toBe(0);
    const to = join(root, 'copy');
    const r = await runCli(['backup', 'restore', id, '--to', to, '--yes'], { cwd: ws });
    expect(r.code, r.stderr).toBe(0);
    expect(rsyncDiff(site, to)).toEqual([]);
    // And into the live path, over the tree that has them (the swap and carry-over see bytes).
    const again = await runCli(['backup', 'restore', id, '--yes'], { cwd: ws });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(Buffer.concat([dir, Buffer.from('/'), bad]), 'utf8')).toBe('inside');
  });

  it('says what it did not keep, on the terminal and in --json', async () => {
    const { ws, site } = workspace();
    expect(spawnSync('mkfifo', [join(site, 'pipe')]).status).toBe(0);
    const { skipped } = await backup(ws);
    expect(skipped).toEqual([{ path: 'pipe', reason: 'FIFO' }]);
    const human = await runCli(['backup', 'create'], { cwd: ws });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toMatch(/1 entry not kept:\n\s+"pipe": FIFO/);
  });

  it('keeps sparse files sparse', async () => {
    const { root, ws, site } = workspace();
    const file = join(site, 'disk.img');
    writeFileSync(file, 'head');
    truncateSync(file, 64 * 1024 * 1024);
    appendFileSync(file, 'tail');
    const { id } = await backup(ws);
    const to = join(root, 'copy');
    const r = await runCli(['backup', 'restore', id, '--to', to, '--yes'], { cwd: ws });
    expect(r.code, r.stderr).toBe(0);
    for (const copy of [join(ws, 'backups', id, 'data', 'disk.img'), join(to, 'disk.img')]) {
      const st = statSync(copy);
      expect(st.size).toBe(64 * 1024 * 1024 + 4);
      expect(st.blocks * 512).toBeLessThan(1024 * 1024);
    }
    expect(rsyncDiff(site, to)).toEqual([]);
  });
});
