import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fileLine } from '../../src/backup/assemble.js';
import { entryLine } from '../../src/backup/incremental.js';
import { createBackup, restoreBackup, verifyBackup } from '../../src/backup/index.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { buildTortureTree, expectSameTree } from '../helpers/backup-torture.js';
import { ticking } from '../helpers/clock.js';
import { tempDir } from '../helpers/tmp.js';
import { walkTree } from '../helpers/tree.js';

/**
 * The incremental backup by link farm (link-farm.ts + incremental.ts): `cp -al` of the
 * previous backup, patched to be the source. It must give what the file-by-file build gives
 * (GNR_MIGRATE_BACKUP_LINK_FARM=0), entry for entry, and never reach an earlier backup or the
 * live tree through a link.
 */

function setup() {
  const root = tempDir('gnrm-incr-');
  const ws = workspaceAt(join(root, 'ws'));
  mkdirSync(ws.migrationDir, { recursive: true });
  const src = join(root, 'site');
  buildTortureTree(src, { bigMiB: 2, manySmall: 40 });
  const system = { name: 'site', path: src, exclude: [] as string[] };
  const clock = ticking();
  const backup = () => createBackup({ ws, system, phase: null, runId: null, clock });
  return { root, ws, src, system, clock, backup };
}

const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
  vi.restoreAllMocks();
});

/** Everything of a manifest but what names the backup itself and what was linked. */
function manifestBody(dir: string, withoutCtimes = false) {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  if (withoutCtimes) for (const e of m.entries) delete e.ctimeMs;
  const { id: _id, createdAt: _at, previous: _prev, totals, ...rest } = m;
  const { linkedFiles: _lf, linkedBytes: _lb, ...sizes } = totals;
  return { ...rest, totals: sizes };
}

const ino = (p: string) => lstatSync(p).ino;

/** What the backups' trace said since the last call (GNR_MIGRATE_TRACE, on stderr). */
function traced(): () => string {
  process.env.GNR_MIGRATE_TRACE = '1';
  let said = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    said += String(chunk);
    return true;
  });
  return () => {
    const out = said;
    said = '';
    return out;
  };
}

/** Every kind of change: content, mode, type both ways, symlink target, folders, times. */
function damage(src: string): void {
  writeFileSync(join(src, 'with space.txt'), 'edited, and longer than before\n');
  writeFileSync(join(src, 'added.txt'), 'new\n');
  mkdirSync(join(src, 'added-dir/inner'), { recursive: true });
  writeFileSync(join(src, 'added-dir/inner/file.txt'), 'deep new\n');
  mkdirSync(join(src, 'added-empty'));
  unlinkSync(join(src, 'zero.bin'));
  rmSync(join(src, 'nested'), { recursive: true });
  chmodSync(join(src, 'script.sh'), 0o700);
  rmSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'sub'), 'a file where a folder was\n');
  unlinkSync(join(src, 'private.txt'));
  mkdirSync(join(src, 'private.txt'));
  writeFileSync(join(src, 'private.txt/inside'), 'a folder where a file was\n');
  unlinkSync(join(src, 'link-rel'));
  symlinkSync('readonly.txt', join(src, 'link-rel'));
  unlinkSync(join(src, 'link-abs'));
  writeFileSync(join(src, 'link-abs'), 'a file where a symlink was\n');
  unlinkSync(join(src, '.hidden'));
  symlinkSync('a symlink where a file was', join(src, '.hidden'));
  chmodSync(join(src, '.hidden-dir'), 0o700);
  for (let i = 0; i < 40; i += 7) unlinkSync(join(src, 'many', `f${i}.txt`));
  chmodSync(join(src, 'ro-dir'), 0o755);
  writeFileSync(join(src, 'ro-dir/more.txt'), 'added to a read-only folder\n');
  chmodSync(join(src, 'ro-dir'), 0o555);
  utimesSync(join(src, 'deep'), 1_600_000_000.5, 1_600_000_000.5);
}

describe('incremental backup by link farm', () => {
  it('links what did not change, copies what did, and equals a file-by-file backup', async () => {
    const { root, ws, src, backup } = setup();
    const first = await backup();
    const firstTree = walkTree(join(first.dir, 'data'));
    damage(src);
    const expected = walkTree(src);

    const second = await backup();
    expect(second.previous).toBe(first.id);
    const a = (p: string) => join(first.dir, 'data', p);
    const b = (p: string) => join(second.dir, 'data', p);
    // The farm was used: an unchanged symlink shares its inode (the file-by-file build makes it anew).
    expect(ino(b('link-dangling'))).toBe(ino(a('link-dangling')));
    expect(ino(b('many/f1.txt'))).toBe(ino(a('many/f1.txt')));
    expect(ino(b('hard1.txt'))).toBe(ino(a('hard1.txt')));
    expect(ino(b('with space.txt'))).not.toBe(ino(a('with space.txt')));
    // A mode change is a new copy, never a chmod through the link.
    expect(ino(b('script.sh'))).not.toBe(ino(a('script.sh')));
    expect(lstatSync(a('script.sh')).mode & 0o7777).toBe(0o755);
    expect(second.linkedFiles).toBeGreaterThan(40);

    // The same entries as a file-by-file backup of the same state.
    process.env.GNR_MIGRATE_BACKUP_LINK_FARM = '0';
    const third = await backup();
    expect(ino(join(third.dir, 'data', 'link-dangling'))).not.toBe(ino(b('link-dangling')));
    expect(manifestBody(second.dir)).toEqual(manifestBody(third.dir));

    // Both verify, the earlier one is untouched, and each restores to exactly the source.
    for (const id of [first.id, second.id, third.id])
      expect((await verifyBackup(ws, id, { deep: true })).problems).toEqual([]);
    expectSameTree(walkTree(join(first.dir, 'data')), firstTree);
    for (const [n, id] of [second.id, third.id].entries()) {
      const to = join(root, `restored-${n}`);
      await restoreBackup({ ws, id, to, snapshot: false });
      expectSameTree(walkTree(to), expected);
    }
  });

  it('takes an unchanged tree from the previous backup, by its listing, and only then', async () => {
    const { ws, src, system, backup } = setup();
    const seen = traced();
    const first = await backup();
    expect(existsSync(join(first.dir, '.listing'))).toBe(true);
    const second = await backup();
    expect(seen()).toMatch(/: unchanged since the previous backup/);
    expect(second.linkedFiles).toBe(first.files);
    expect(manifestBody(second.dir)).toEqual(manifestBody(first.dir));
    expect((await verifyBackup(ws, second.id, { deep: true })).problems).toEqual([]);

    // A chmod to the same mode changes only the ctime: listed differently, patched, and that
    // file copied again (the quick check takes a new ctime for a possible rewrite).
    chmodSync(join(src, 'readonly.txt'), 0o444);
    const third = await backup();
    expect(seen()).toMatch(/: changed since the previous backup/);
    expect(manifestBody(third.dir, true)).toEqual(manifestBody(first.dir, true));
    expect(third.linkedFiles).toBe(first.files - 1);

    // Not from a listing or a manifest changed by hand, nor for other excludes.
    const kept = join(third.dir, '.listing');
    const meta = JSON.parse(readFileSync(kept, 'utf8'));
    meta.listing = `${meta.listing[0] === '0' ? '1' : '0'}${meta.listing.slice(1)}`;
    writeFileSync(kept, JSON.stringify(meta));
    await backup();
    expect(seen()).toMatch(/: changed since the previous backup/);
    const fourth = await backup();
    expect(seen()).toMatch(/: unchanged since the previous backup/);
    const m = join(fourth.dir, 'manifest.json');
    writeFileSync(m, readFileSync(m, 'utf8').replace('"hardLinks": 2', '"hardLinks": 3'));
    await backup();
    expect(seen()).toMatch(/: changed since the previous backup/);
    await backup();
    system.exclude.push('*.pyc');
    const fifth = await backup();
    expect(seen()).toMatch(/: changed since the previous backup/);
    expect((await verifyBackup(ws, fifth.id, { deep: true })).problems).toEqual([]);
  });

  it('keeps both backups as they were when a live file is edited in place afterwards', async () => {
    const { ws, src, backup } = setup();
    const first = await backup();
    writeFileSync(join(src, 'added.txt'), 'new\n');
    const second = await backup();
    const before = readFileSync(join(second.dir, 'data', 'hard1.txt'), 'utf8');
    // In place: same inode, as an editor or a step that rewrites a file might.
    const fd = openSync(join(src, 'hard1.txt'), 'r+');
    writeSync(fd, 'EDITED');
    closeSync(fd);
    for (const info of [first, second]) {
      expect(readFileSync(join(info.dir, 'data', 'hard1.txt'), 'utf8')).toBe(before);
      expect((await verifyBackup(ws, info.id, { deep: true })).problems).toEqual([]);
    }
  });

  it('builds file by file when the previous backup was changed since it was made', async () => {
    const { ws, src, backup } = setup();
    const first = await backup();
    // Someone dropped a file into the earlier backup and deleted another from it.
    writeFileSync(join(first.dir, 'data', 'many', 'stray.txt'), 'not from the source\n');
    unlinkSync(join(first.dir, 'data', 'sub', 'data.json'));
    const second = await backup();
    expect((await verifyBackup(ws, second.id, { deep: true })).problems).toEqual([]);
    const tree = walkTree(join(second.dir, 'data'));
    expect(tree.has('many/stray.txt')).toBe(false);
    expect(readFileSync(join(second.dir, 'data', 'sub', 'data.json'), 'utf8')).toBe(
      readFileSync(join(src, 'sub', 'data.json'), 'utf8'),
    );
  });

  it('builds file by file when a stray entry in the previous backup hid behind a folder time put back', async () => {
    const { ws, src, backup } = setup();
    const first = await backup();
    const dir = join(first.dir, 'data', 'many');
    const { atime, mtime } = lstatSync(dir);
    writeFileSync(join(dir, 'new.txt'), 'not from the source\n');
    utimesSync(dir, atime, mtime);
    writeFileSync(join(src, 'many', 'new.txt'), 'from the source\n');
    const seen = traced();
    const second = await backup();
    expect(seen()).toMatch(/not usable \(the farm is not what its manifest says/);
    expect((await verifyBackup(ws, second.id, { deep: true })).problems).toEqual([]);
    expect(readFileSync(join(second.dir, 'data', 'many', 'new.txt'), 'utf8')).toBe('from the source\n');
  });

  it('falls back to the file-by-file build when cp or find fail', async () => {
    const { root, ws, src, backup } = setup();
    await backup();
    const bin = join(root, 'bin');
    mkdirSync(bin);
    for (const tool of ['cp', 'find']) {
      writeFileSync(join(bin, tool), '#!/bin/sh\necho "broken $0" >&2\nexit 1\n');
      chmodSync(join(bin, tool), 0o755);
    }
    damage(src);
    const expected = walkTree(src);
    process.env.PATH = `${bin}:${savedEnv.PATH}`;
    const second = await backup();
    process.env.PATH = savedEnv.PATH;
    expect((await verifyBackup(ws, second.id, { deep: true })).problems).toEqual([]);
    const to = join(root, 'restored');
    await restoreBackup({ ws, id: second.id, to, snapshot: false });
    expectSameTree(walkTree(to), expected);
  });

  it('writes an entry line as JSON.stringify writes the entry', () => {
    const times = [1_700_000_000_123.4568, 0, -0, -1_234.5, 1e21, 1_795_459_325_945.5405];
    for (const [k, mtimeMs] of times.entries()) {
      const st = {
        mode: [0o644, 0o4755, 0][k % 3]!,
        mtimeMs,
        size: k * 1000,
        uid: 1000,
        gid: 0,
        nlink: 1,
        ctimeMs: mtimeMs + 0.25,
        ino: 12345 + k,
      };
      const path = ['a', 'with "quotes"\nand a newline', 'ünï/名前', '\\back\tslash'][k % 4]!;
      const a = { mode: st.mode, mtimeMs, uid: st.uid, gid: st.gid };
      const key = JSON.stringify(path);
      const change = { ctimeMs: st.ctimeMs, ino: st.ino };
      expect(entryLine(key, { path, type: 'file', st })).toBe(
        JSON.stringify({ path, type: 'file', ...a, ...change, size: st.size }),
      );
      expect(entryLine(key, { path, type: 'dir', st })).toBe(JSON.stringify({ path, type: 'dir', ...a }));
      expect(entryLine(key, { path, type: 'symlink', st, target: '../x "y"' })).toBe(
        JSON.stringify({ path, type: 'symlink', ...a, target: '../x "y"' }),
      );
      const sha256 = 'ab'.repeat(32);
      expect(fileLine(key, st, st.size + 1, sha256)).toBe(
        JSON.stringify({ path, type: 'file', ...a, ...change, size: st.size + 1, sha256 }),
      );
    }
  });
});
