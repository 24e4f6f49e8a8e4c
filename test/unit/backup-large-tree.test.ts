import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBackup, restoreBackup, verifyBackup } from '../../src/backup/index.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { buildTortureTree, expectSameTree } from '../helpers/backup-torture.js';
import { ticking } from '../helpers/clock.js';
import { tempDir } from '../helpers/tmp.js';
import { walkTree } from '../helpers/tree.js';

/**
 * A tree over the size a backup may hold whole (GNR_MIGRATE_BACKUP_WHOLE_TREE, made tiny
 * here): walked a batch at a time, the previous manifest read beside the walk, find's listing
 * kept by digest, and an unchanged tree taken from a link farm made only once the listing says
 * so. The same backups as the whole-tree paths make, entry for entry.
 */
function setup() {
  const root = tempDir('gnrm-large-');
  const ws = workspaceAt(join(root, 'ws'));
  const src = join(root, 'site');
  buildTortureTree(src, { bigMiB: 1, manySmall: 40 });
  const system = { name: 'site', path: src, exclude: ['sub/**'] };
  const clock = ticking();
  const backup = () => createBackup({ ws, system, phase: null, runId: null, clock });
  return { root, ws, src, backup };
}

/** The source as a restore gives it back: without what `sub/**` leaves out. */
function kept(src: string) {
  const tree = walkTree(src);
  for (const path of [...tree.keys()]) if (path.startsWith('sub/')) tree.delete(path);
  return tree;
}

/** The entries of a backup's manifest. */
const entries = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).entries;

const savedEnv = { ...process.env };
let said = '';
beforeEach(() => {
  process.env.GNR_MIGRATE_BACKUP_WHOLE_TREE = '10';
  process.env.GNR_MIGRATE_TRACE = '1';
  said = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    said += String(chunk);
    return true;
  });
});
afterEach(() => {
  process.env = { ...savedEnv };
  vi.restoreAllMocks();
});

describe('a backup of a tree too large to hold whole', () => {
  it('is made file by file, keeps its listing by digest, and takes an unchanged tree from a link farm', async () => {
    const { root, ws, src, backup } = setup();
    const expected = kept(src);
    const first = await backup();
    expect(said).toMatch(/listing kept/);
    expect(existsSync(join(first.dir, '.listing'))).toBe(true);
    said = '';
    const second = await backup();
    expect(said).toMatch(/unchanged since the previous backup/);
    expect(said).toMatch(/link farm made and checked/);
    expect(second.linkedFiles).toBe(second.files);
    // The same entries as the whole-tree build of the same state.
    process.env.GNR_MIGRATE_BACKUP_WHOLE_TREE = '';
    process.env.GNR_MIGRATE_BACKUP_LINK_FARM = '0';
    const third = await backup();
    expect(entries(first.dir)).toEqual(entries(third.dir));
    expect(entries(second.dir)).toEqual(entries(third.dir));
    for (const b of [first, second, third])
      expect((await verifyBackup(ws, b.id, { deep: true })).problems).toEqual([]);
    const to = join(root, 'restored');
    await restoreBackup({ ws, id: second.id, to, snapshot: false });
    expectSameTree(walkTree(to), expected);
  });

  it('copies a same-size edit whose mtime was put back, linking the rest from the previous backup', async () => {
    const { root, ws, src, backup } = setup();
    const first = await backup();
    const edited = join(src, 'with space.txt');
    const before = statSync(edited);
    writeFileSync(edited, 'SPACES IN THE NAME\n');
    utimesSync(edited, before.atime, before.mtime);
    said = '';
    const second = await backup();
    expect(said).toMatch(/changed since the previous backup/);
    expect(second.previous).toBe(first.id);
    expect(second.linkedFiles).toBe(second.files - 1);
    expect((await verifyBackup(ws, second.id, { deep: true })).problems).toEqual([]);
    const to = join(root, 'restored');
    await restoreBackup({ ws, id: second.id, to, snapshot: false });
    expect(readFileSync(join(to, 'with space.txt'), 'utf8')).toBe('SPACES IN THE NAME\n');
    expectSameTree(walkTree(to), kept(src));
  });

  it('patches a link farm of the previous backup as it walks the listing: the whole-tree build, entry for entry', async () => {
    const { root, ws, src, backup } = setup();
    const first = await backup();
    // Every kind of change: edited, added, removed; a file become a folder and a folder a
    // file; a symlink retargeted; a folder removed whole; in a read-only folder too.
    writeFileSync(join(src, 'private.txt'), 'a new secret\n');
    writeFileSync(join(src, 'added.txt'), 'new\n');
    rmSync(join(src, 'script.sh'));
    rmSync(join(src, 'zero.bin'));
    mkdirSync(join(src, 'zero.bin'));
    writeFileSync(join(src, 'zero.bin/now-a-folder'), 'x\n');
    rmSync(join(src, 'nested'), { recursive: true });
    writeFileSync(join(src, 'nested'), 'a folder no more\n');
    rmSync(join(src, 'link-rel'));
    symlinkSync('readonly.txt', join(src, 'link-rel'));
    rmSync(join(src, '.hidden-dir'), { recursive: true });
    chmodSync(join(src, 'ro-dir'), 0o755);
    writeFileSync(join(src, 'ro-dir/added.txt'), 'added in a read-only folder\n');
    chmodSync(join(src, 'ro-dir'), 0o555);
    said = '';
    const second = await backup();
    expect(said).toMatch(/a link farm patched/);
    expect(said).not.toMatch(/not usable/);
    expect(second.previous).toBe(first.id);
    // What the previous backup holds is not touched by the patch of its farm.
    expect((await verifyBackup(ws, first.id, { deep: true })).problems).toEqual([]);
    process.env.GNR_MIGRATE_BACKUP_WHOLE_TREE = '';
    process.env.GNR_MIGRATE_BACKUP_LINK_FARM = '0';
    const whole = await backup();
    expect(entries(second.dir)).toEqual(entries(whole.dir));
    // Edited, added, now a file, now in a folder that was a file, added in the read-only one.
    expect(second.linkedFiles).toBe(second.files - 5);
    expect((await verifyBackup(ws, second.id, { deep: true })).problems).toEqual([]);
    const to = join(root, 'restored');
    await restoreBackup({ ws, id: second.id, to, snapshot: false });
    expectSameTree(walkTree(to), kept(src));
  });

  it('checks every folder it keeps, though nothing under it changed and the patch went on while cp made it', async () => {
    const { ws, src, backup } = setup();
    const first = await backup();
    writeFileSync(join(src, 'added.txt'), 'new\n');
    let deep = 'deep';
    for (let i = 0; i < 12; i++) deep = `${deep}/level-${i}`;
    writeFileSync(join(first.dir, 'data', deep, 'intruder'), 'not in the manifest\n');
    said = '';
    const second = await backup();
    expect(said).toContain(`link farm not usable (${deep} was changed in the previous backup`);
    expect(existsSync(join(second.dir, 'data', deep, 'intruder'))).toBe(false);
    expect((await verifyBackup(ws, second.id, { deep: true })).problems).toEqual([]);
  });

  it('gives up a farm whose previous backup was changed since, and copies file by file', async () => {
    const { root, ws, src, backup } = setup();
    const first = await backup();
    writeFileSync(join(src, 'added.txt'), 'new\n');
    // A file slipped into the earlier backup: its folder's mtime says so.
    writeFileSync(join(first.dir, 'data', 'sub', 'intruder'), 'not in the manifest\n');
    said = '';
    const second = await backup();
    expect(said).toMatch(/link farm not usable \(sub was changed in the previous backup/);
    expect((await verifyBackup(ws, second.id, { deep: true })).problems).toEqual([]);
    const to = join(root, 'restored');
    await restoreBackup({ ws, id: second.id, to, snapshot: false });
    expectSameTree(walkTree(to), kept(src));

    // Slipped in with the folder's time put back, where the source now has a file and a
    // folder of the same names: the farm is given up when the copy or the mkdir finds them.
    let latest = second;
    for (const [name, make] of [
      ['late.txt', (p: string) => writeFileSync(p, 'late\n')],
      ['late-dir', (p: string) => mkdirSync(p)],
    ] as const) {
      const data = join(latest.dir, 'data');
      const before = statSync(data);
      chmodSync(data, 0o755);
      writeFileSync(join(data, name), 'not in the manifest\n');
      chmodSync(data, before.mode & 0o7777);
      utimesSync(data, before.atime, before.mtime);
      make(join(src, name));
      said = '';
      const third = await backup();
      expect(said).toMatch(/link farm not usable \(the farm is not what its manifest says/);
      expect((await verifyBackup(ws, third.id, { deep: true })).problems).toEqual([]);
      expect(readFileSync(join(third.dir, 'data', name === 'late.txt' ? name : 'zero.bin'), 'utf8')).toBe(
        name === 'late.txt' ? 'late\n' : '',
      );
      latest = third;
    }
  });
});
