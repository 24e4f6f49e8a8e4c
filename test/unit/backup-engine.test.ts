import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cleanTemporaries,
  createBackup,
  estimateBackup,
  listBackups,
  pruneBackups,
  RestoreRefusedError,
  readBackup,
  restoreBackup,
  verifyBackup,
} from '../../src/backup/index.js';
import { parseManifest, serializeManifest } from '../../src/backup/manifest-format.js';
import { InputError } from '../../src/core/errors.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { buildTortureTree, expectSameTree } from '../helpers/backup-torture.js';
import { ticking } from '../helpers/clock.js';
import { tempDir } from '../helpers/tmp.js';
import { walkTree } from '../helpers/tree.js';

function setup(opts: { bigMiB?: number } = {}) {
  const root = tempDir('gnrm-backup-');
  const ws = workspaceAt(join(root, 'ws'));
  mkdirSync(ws.migrationDir, { recursive: true });
  const src = join(root, 'site');
  buildTortureTree(src, { bigMiB: opts.bigMiB ?? 0 });
  const system = { name: 'site', path: src, exclude: [] as string[] };
  return { root, ws, src, system, clock: ticking() };
}

describe('backup and restore of the torture tree', () => {
  it('restores a damaged tree to exactly the original', async () => {
    const { ws, src, system, clock } = setup({ bigMiB: 50 });
    const original = walkTree(src);
    const info = await createBackup({ ws, system, phase: 3, runId: 'run-1', clock });
    expect(info).toMatchObject({ system: 'site', sourceType: 'dir', phase: 3, runId: 'run-1', source: src });
    expect(info.id).toMatch(/^site_\d{8}-\d{6}$/);
    expect(info.files).toBe([...original.values()].filter((e) => e.type === 'file').length);
    expect((await verifyBackup(ws, info.id, { deep: true })).problems).toEqual([]);

    // Damage: edit, delete, add, chmod, replace a folder with a file, retarget a symlink.
    writeFileSync(join(src, 'with space.txt'), 'edited\n');
    unlinkSync(join(src, 'zero.bin'));
    writeFileSync(join(src, 'added.txt'), 'new\n');
    mkdirSync(join(src, 'added-dir/inner'), { recursive: true });
    chmodSync(join(src, 'private.txt'), 0o666);
    rmSync(join(src, 'nested'), { recursive: true });
    writeFileSync(join(src, 'nested'), 'a file where a folder was\n');
    unlinkSync(join(src, 'link-rel'));
    symlinkSync('elsewhere', join(src, 'link-rel'));
    appendFileSync(join(src, 'big.bin'), 'x');

    const result = await restoreBackup({ ws, id: info.id, to: info.source, phase: 3, runId: 'run-2', clock });
    expect(result).toMatchObject({ id: info.id, target: src, files: info.files });
    expectSameTree(walkTree(src), original);
    // Nothing left beside the target, and the snapshot holds the damaged state.
    expect(readdirSync(join(src, '..')).filter((n) => n.includes('gnrm'))).toEqual([]);
    expect(readdirSync(ws.backupsDir).filter((n) => n.startsWith('.'))).toEqual([]);
    const snap = await readBackup(ws, result.snapshotId!);
    expect(snap).toMatchObject({ system: 'site', phase: 3, runId: 'run-2' });
    expect(readFileSync(join(snap.dir, 'data', 'added.txt'), 'utf8')).toBe('new\n');
  });

  it('restores into a new path with --to, and a single-file system by rename', async () => {
    const { root, ws, src, clock } = setup();
    const conf = join(src, 'script.sh');
    const fileInfo = await createBackup({
      ws,
      system: { name: 'conf', path: conf, exclude: [] },
      phase: null,
      runId: null,
      clock,
    });
    expect(fileInfo).toMatchObject({ sourceType: 'file', files: 1 });
    const before = lstatSync(conf);
    writeFileSync(conf, 'broken\n');
    chmodSync(conf, 0o600);
    const res = await restoreBackup({ ws, id: fileInfo.id, to: fileInfo.source, clock });
    expect(readFileSync(conf, 'utf8')).toBe('#!/bin/sh\necho hi\n');
    const after = lstatSync(conf);
    expect(after.mode & 0o7777).toBe(0o755);
    expect(Math.abs(after.mtimeMs - before.mtimeMs)).toBeLessThan(1);
    expect(res.snapshotId).toBeDefined();

    const dirInfo = await createBackup({
      ws,
      system: { name: 'site', path: src, exclude: [] },
      phase: null,
      runId: null,
      clock,
    });
    const copy = join(root, 'elsewhere', 'copy');
    const r2 = await restoreBackup({ ws, id: dirInfo.id, to: copy, clock });
    expect(r2.snapshotId).toBeUndefined(); // nothing was there to snapshot
    expectSameTree(walkTree(copy), walkTree(src));
  });

  it('follows a symlinked single-file system path, keeping the link on restore', async () => {
    const { root, ws, clock } = setup();
    const real = join(root, 'sites-available.conf');
    writeFileSync(real, 'server {}\n');
    const link = join(root, 'sites-enabled.conf');
    symlinkSync(real, link);
    const info = await createBackup({
      ws,
      system: { name: 'nginx', path: link, exclude: [] },
      phase: null,
      runId: null,
      clock,
    });
    writeFileSync(real, 'broken\n');
    await restoreBackup({ ws, id: info.id, to: info.source, clock });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('server {}\n');
  });

  it('leaves excluded paths and sockets of the target alone on restore', async () => {
    const { ws, src, clock } = setup();
    mkdirSync(join(src, 'logs'));
    writeFileSync(join(src, 'logs', 'old.log'), 'old\n');
    writeFileSync(join(src, 'sub', 'x.pyc'), 'bytecode');
    const system = { name: 'site', path: src, exclude: ['logs/**', '**/*.pyc'] };
    const info = await createBackup({ ws, system, phase: null, runId: null, clock });
    const m = await parseManifest(readFileSync(join(info.dir, 'manifest.json'), 'utf8'));
    const paths = m.ok ? m.value.entries.map((e) => e.path) : [];
    expect(paths).toContain('logs');
    expect(paths).not.toContain('logs/old.log');
    expect(paths).not.toContain('sub/x.pyc');
    writeFileSync(join(src, 'logs', 'new.log'), 'written after the backup\n');
    writeFileSync(join(src, 'stray.txt'), 'extra\n');
    const subTime = lstatSync(join(src, 'sub')).mtimeMs;
    await restoreBackup({ ws, id: info.id, to: info.source, clock });
    expect(readdirSync(join(src, 'logs')).sort()).toEqual(['new.log', 'old.log']);
    expect(existsSync(join(src, 'sub', 'x.pyc'))).toBe(true);
    expect(existsSync(join(src, 'stray.txt'))).toBe(false);
    expect(Math.abs(lstatSync(join(src, 'sub')).mtimeMs - subTime)).toBeLessThan(1);
  });
});

describe('verification', () => {
  it('names the file with a flipped byte, and restore refuses without touching the target', async () => {
    const { ws, src, system, clock } = setup();
    const info = await createBackup({ ws, system, phase: null, runId: null, clock });
    const victim = join(info.dir, 'data', 'sub', 'data.json');
    const bytes = readFileSync(victim);
    bytes[2] = (bytes[2] ?? 0) ^ 0xff;
    writeFileSync(victim, bytes);
    expect((await verifyBackup(ws, info.id, { deep: false })).ok).toBe(true); // same size and mode
    const report = await verifyBackup(ws, info.id, { deep: true });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { path: 'sub/data.json', kind: 'changed', detail: 'content differs from the manifest (sha256)' },
    ]);

    writeFileSync(join(src, 'with space.txt'), 'the live state\n');
    const before = walkTree(src);
    const siblings = readdirSync(join(src, '..')).sort();
    const err = await restoreBackup({ ws, id: info.id, to: info.source, clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreRefusedError);
    expect((err as RestoreRefusedError).exitCode).toBe(3);
    expect((err as Error).message).toContain('sub/data.json');
    expectSameTree(walkTree(src), before);
    expect(readdirSync(join(src, '..')).sort()).toEqual(siblings);
    expect(await listBackups(ws)).toHaveLength(1); // no snapshot either
  });

  it('reports missing, extra, mode, type and target problems by path', async () => {
    const { ws, system, clock } = setup();
    const info = await createBackup({ ws, system, phase: null, runId: null, clock });
    const data = join(info.dir, 'data');
    unlinkSync(join(data, 'hard1.txt'));
    writeFileSync(join(data, 'intruder'), 'x');
    chmodSync(join(data, 'script.sh'), 0o700);
    rmSync(join(data, 'empty'), { recursive: true });
    writeFileSync(join(data, 'empty'), '');
    unlinkSync(join(data, 'link-abs'));
    symlinkSync('/etc/passwd', join(data, 'link-abs'));
    const report = await verifyBackup(ws, info.id, { deep: true });
    expect(report.problems.map((p) => [p.kind, p.path])).toEqual([
      ['type', 'empty'],
      ['missing', 'hard1.txt'],
      ['extra', 'intruder'],
      ['target', 'link-abs'],
      ['mode', 'script.sh'],
    ]);
  });

  it('refuses a hand-edited manifest with ../ in a path', async () => {
    const { ws, system, clock, root } = setup();
    const info = await createBackup({ ws, system, phase: null, runId: null, clock });
    const file = join(info.dir, 'manifest.json');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('"path":"sub/data.json"', '"path":"../../escaped.json"'),
    );
    const report = await verifyBackup(ws, info.id, { deep: true });
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ kind: 'manifest', path: 'manifest.json' });
    expect(report.problems[0]!.detail).toContain('../../escaped.json');
    await expect(restoreBackup({ ws, id: info.id, to: join(root, 'out'), clock })).rejects.toBeInstanceOf(
      RestoreRefusedError,
    );
    expect(existsSync(join(root, 'out'))).toBe(false);
  });

  it('says which ids exist for an unknown backup, and refuses ids that are paths', async () => {
    const { ws, system, clock } = setup();
    const info = await createBackup({ ws, system, phase: null, runId: null, clock });
    const err = await readBackup(ws, 'site_20200101-000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(info.id);
    await expect(readBackup(ws, '../../etc')).rejects.toBeInstanceOf(InputError);
  });
});

describe('incremental backups', () => {
  it('hard-links unchanged files, adding under 5 % of the first backup on disk', async () => {
    const { ws, src, system, clock } = setup({ bigMiB: 8 });
    const first = await createBackup({ ws, system, phase: null, runId: null, clock });
    const second = await createBackup({ ws, system, phase: null, runId: null, clock });
    expect(second).toMatchObject({ previous: first.id, linkedFiles: first.files, files: first.files });
    expect(lstatSync(join(second.dir, 'data', 'big.bin')).ino).toBe(
      lstatSync(join(first.dir, 'data', 'big.bin')).ino,
    );
    // du counts an inode once per invocation: the second line is what the second backup adds.
    const du = execFileSync('du', ['-sk', first.dir, second.dir], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => Number(l.split('\t')[0]));
    expect(du[1]!).toBeLessThan(0.05 * du[0]!);

    // A changed file is copied, the rest linked; deleting the older backup harms nothing.
    writeFileSync(join(src, 'sub', 'data.json'), '{"a":2}\n');
    const third = await createBackup({ ws, system, phase: null, runId: null, clock });
    expect(third.linkedFiles).toBe(first.files - 1);
    await pruneBackups(ws, { keep: 1, protect: new Map(), dryRun: false });
    expect((await listBackups(ws)).map((b) => b.id)).toEqual([third.id]);
    expect((await verifyBackup(ws, third.id, { deep: true })).problems).toEqual([]);
  });

  it('gives two backups of the same second distinct ids', async () => {
    const { ws, system } = setup();
    const fixed = { now: () => new Date(Date.UTC(2026, 10, 22, 10, 15, 0)) };
    const a = await createBackup({ ws, system, phase: null, runId: null, clock: fixed });
    const b = await createBackup({ ws, system, phase: null, runId: null, clock: fixed });
    const c = await createBackup({ ws, system, phase: null, runId: null, clock: fixed });
    expect(b.id).toBe(`${a.id}-2`);
    expect(c.id).toBe(`${a.id}-3`);
    expect((await listBackups(ws)).map((x) => x.id)).toEqual([a.id, b.id, c.id]);
  });

  it('estimates without writing anything', async () => {
    const { ws, system, clock } = setup();
    const est = await estimateBackup(ws, system, clock);
    expect(est.exists).toBe(true);
    expect(est.files).toBeGreaterThan(10);
    expect(existsSync(ws.backupsDir)).toBe(false);
    const missing = await estimateBackup(ws, { name: 'gone', path: '/nonexistent/x', exclude: [] }, clock);
    expect(missing).toMatchObject({ exists: false, files: 0, bytes: 0 });
  });
});

describe('leftovers of killed runs', () => {
  it('removes a half-built backup of a dead process, never one of a live process', async () => {
    const { ws, system, clock } = setup();
    await createBackup({ ws, system, phase: null, runId: null, clock });
    const dead = join(ws.backupsDir, '.tmp-999999999-site_20261122-101500');
    const live = join(ws.backupsDir, `.tmp-${process.pid}-site_20261122-101501`);
    mkdirSync(join(dead, 'data'), { recursive: true });
    mkdirSync(join(live, 'data'), { recursive: true });
    expect(await listBackups(ws)).toHaveLength(1);
    const done = await cleanTemporaries(ws);
    expect(done).toEqual([expect.stringContaining(dead)]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('finishes a restore killed mid-swap, and undoes one killed while building', async () => {
    const { ws, src, system, clock, root } = setup();
    const info = await createBackup({ ws, system, phase: null, runId: null, clock });
    const original = walkTree(src);
    // Killed after target → aside, before fresh → target.
    const fresh = join(root, '.site.gnrm-new-dead');
    const aside = join(root, '.site.gnrm-old-dead');
    await restoreBackup({ ws, id: info.id, to: fresh, snapshot: false, clock });
    writeFileSync(join(src, 'zero.bin'), 'damaged');
    mkdirSync(join(src, 'logs'));
    writeFileSync(join(src, 'logs', 'keep.log'), 'log');
    execFileSync('mv', [src, aside]);
    const journal = {
      stage: 'swapping',
      backupId: info.id,
      target: src,
      fresh,
      aside,
      hadTarget: true,
      excludes: ['logs/**'],
      dirTimes: [],
    };
    writeFileSync(join(ws.backupsDir, '.restore-999999999-dead.json'), JSON.stringify(journal));
    const done = await cleanTemporaries(ws);
    expect(done[0]).toContain('finished the restore');
    const after = walkTree(src);
    expect(after.get('logs/keep.log')).toBeDefined(); // carried over from the old tree
    after.delete('logs/keep.log');
    after.delete('logs');
    expectSameTree(after, original);
    expect(existsSync(aside)).toBe(false);

    // Killed while building: the half-built tree goes, the target is untouched.
    mkdirSync(fresh);
    writeFileSync(
      join(ws.backupsDir, '.restore-999999999-b.json'),
      JSON.stringify({ ...journal, stage: 'building' }),
    );
    await cleanTemporaries(ws);
    expect(existsSync(fresh)).toBe(false);
    expect(existsSync(src)).toBe(true);
    expect(readdirSync(ws.backupsDir).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('prune', () => {
  it('keeps the newest N per system and the protected ones, saying why', async () => {
    const { ws, system, clock, src } = setup();
    const conf = { name: 'conf', path: join(src, 'script.sh'), exclude: [] };
    const s = [];
    for (let i = 0; i < 4; i++) s.push(await createBackup({ ws, system, phase: null, runId: null, clock }));
    const c1 = await createBackup({ ws, system: conf, phase: null, runId: null, clock });
    const protect = new Map([[s[0]!.id, 'the rollback of phase 3 restores it']]);
    const dry = await pruneBackups(ws, { keep: 2, protect, dryRun: true });
    expect(dry.deleted).toEqual([s[1]!.id]);
    expect(dry.kept).toEqual(
      expect.arrayContaining([
        { id: s[0]!.id, reason: 'the rollback of phase 3 restores it' },
        { id: s[3]!.id, reason: 'one of the newest 2' },
        { id: c1.id, reason: 'one of the newest 2' },
      ]),
    );
    expect(await listBackups(ws)).toHaveLength(5);
    await pruneBackups(ws, { keep: 2, protect, dryRun: false });
    expect((await listBackups(ws)).map((b) => b.id)).toEqual([s[0]!.id, s[2]!.id, s[3]!.id, c1.id]);
  });
});

describe('manifest written by a backup', () => {
  it('parses, lists every entry once, and notes hard links and skipped sockets', async () => {
    const { ws, system, clock, src } = setup();
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(src, 'app.sock'), r));
    try {
      const info = await createBackup({ ws, system, phase: null, runId: null, clock });
      const parsed = await parseManifest(readFileSync(join(info.dir, 'manifest.json'), 'utf8'));
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      expect(parsed.value.hardLinks).toBe(2);
      expect(parsed.value.skipped).toEqual([
        { path: 'app.sock', reason: 'socket (recreated by its server)' },
      ]);
      expect(serializeManifest(parsed.value)).toBe(readFileSync(join(info.dir, 'manifest.json'), 'utf8'));
    } finally {
      server.close();
    }
  });
});
