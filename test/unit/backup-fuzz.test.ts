import {
  chmodSync,
  existsSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBackup, restoreBackup, verifyBackup } from '../../src/backup/index.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { ticking } from '../helpers/clock.js';
import { rsyncDiff } from '../helpers/rsync-diff.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * 200 random small trees — names with bytes that are not UTF-8, spaces and newlines; modes;
 * symlinks (relative, absolute, dangling, with odd bytes in the target); times before and after
 * 1970 — each backed up, changed (edits of the same size with the mtime put back, deletions,
 * additions, chmods), backed up again (incremental), restored, and compared by rsync
 * (`--checksum --dry-run -i`): nothing may differ. A failure names its seed.
 */

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nameBytes = [
  ...Buffer.from('abcxyzABZ0129-_.'),
  0x20,
  0x0a,
  0xff,
  0xfe,
  0xe9,
  0x80,
  0xc3, // a lead byte alone, or with the next one a valid é
  0xa9,
];

const utf8NameBytes = [...Buffer.from('abcxyzABZ0129-_.'), 0x20, 0x0a];

function randomName(r: () => number, taken: Set<string>, utf8 = false): Buffer {
  const from = utf8 ? utf8NameBytes : nameBytes;
  for (;;) {
    const n = 1 + Math.floor(r() * 8);
    const bytes = Buffer.from(Array.from({ length: n }, () => from[Math.floor(r() * from.length)]!));
    const s = bytes.toString('latin1');
    if (s === '.' || s === '..' || taken.has(s)) continue;
    taken.add(s);
    return bytes;
  }
}

const join2 = (dir: Buffer, name: Buffer) => Buffer.concat([dir, Buffer.from('/'), name]);
const time = (r: () => number, after1970 = false) => {
  // Whole seconds from 1901 to 2100; a third of them before 1970.
  const s = r() < 0.33 && !after1970 ? -Math.floor(r() * 2_000_000_000) : Math.floor(r() * 4_000_000_000);
  return s >= 0 ? s : new Date(s * 1000);
};
const fileModes = [0o644, 0o600, 0o755, 0o444, 0o640, 0o700];
const dirModes = [0o755, 0o700, 0o750, 0o775];

interface Made {
  files: Buffer[];
  dirs: Buffer[];
}

interface Kinds {
  utf8?: boolean;
  after1970?: boolean;
}

function buildTree(root: Buffer, r: () => number, depth: number, made: Made, kinds: Kinds = {}): void {
  const taken = new Set<string>();
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const p = join2(root, randomName(r, taken, kinds.utf8));
    const kind = r();
    if (kind < 0.55) {
      writeFileSync(
        p,
        Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256))),
      );
      chmodSync(p, fileModes[Math.floor(r() * fileModes.length)]!);
      const t = time(r, kinds.after1970);
      utimesSync(p, t, t);
      made.files.push(p);
    } else if (kind < 0.75 && depth < 3) {
      mkdirSync(p);
      buildTree(p, r, depth + 1, made, kinds);
      made.dirs.push(p);
    } else {
      const targets = [
        Buffer.from('../elsewhere'),
        Buffer.from('/nonexistent/x'),
        kinds.utf8 ? Buffer.from('é') : Buffer.from([0x61, 0xff, 0x62]),
      ];
      symlinkSync(targets[Math.floor(r() * targets.length)]!, p);
      const t = time(r, kinds.after1970);
      lutimesSync(p, t, t);
    }
  }
}

/** Folder modes and times last, deepest first (writing into a folder sets its mtime). */
function settleDirs(made: Made, root: Buffer, r: () => number, kinds: Kinds = {}): void {
  for (const d of [...made.dirs, root]) {
    chmodSync(d, dirModes[Math.floor(r() * dirModes.length)]!);
    const t = time(r, kinds.after1970);
    utimesSync(d, t, t);
  }
}

function change(made: Made, root: Buffer, r: () => number, kinds: Kinds = {}): void {
  for (const f of made.files) {
    const x = r();
    if (x < 0.2) {
      // Same size, new bytes, the mtime put back: only the ctime tells.
      const st = statSync(f);
      chmodSync(f, 0o600);
      writeFileSync(f, Buffer.alloc(st.size, 0x5a));
      chmodSync(f, st.mode & 0o7777);
      utimesSync(f, st.atime, st.mtime);
    } else if (x < 0.3) rmSync(f);
    else if (x < 0.4) chmodSync(f, fileModes[Math.floor(r() * fileModes.length)]!);
  }
  if (r() < 0.5)
    writeFileSync(
      join2(root, Buffer.from(kinds.utf8 ? [0x6e, 0x65, 0x77] : [0x6e, 0x65, 0x77, 0xfd])),
      'added',
    );
  settleDirs(made, root, r, kinds);
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('backup and restore of random trees', () => {
  it('restores 200 random trees exactly (rsync --checksum sees no difference)', {
    timeout: 240_000,
  }, async () => {
    // Small trees: worker threads would cost more to start than the copies take.
    vi.stubEnv('GNR_MIGRATE_BACKUP_THREADS', '0');
    // In memory when the machine has it: ~2,000 fsyncs (manifests, journals) cost nothing there.
    const base = tempDir('gnrm-fuzz-', existsSync('/dev/shm') ? '/dev/shm' : undefined);
    const ws = workspaceAt(join(base, 'ws'));
    const clock = ticking();
    const failures: string[] = [];
    mkdirSync(join(base, 'src'));
    mkdirSync(join(base, 'to'));
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const src = join(base, 'src', `${seed}`);
      const root = Buffer.from(src);
      mkdirSync(src);
      const made: Made = { files: [], dirs: [] };
      buildTree(root, r, 0, made);
      settleDirs(made, root, r);
      const system = { name: `s${seed}`, path: src, exclude: [] };
      // Every other tree is built file by file: both ways of an incremental backup are run.
      vi.stubEnv('GNR_MIGRATE_BACKUP_LINK_FARM', seed % 2 ? '0' : '1');
      await createBackup({ ws, system, phase: null, runId: null, clock });
      change(made, root, r);
      const second = await createBackup({ ws, system, phase: null, runId: null, clock });
      const verified = await verifyBackup(ws, second.id, { deep: true });
      if (!verified.ok) failures.push(`seed ${seed}: ${JSON.stringify(verified.problems)}`);
      await restoreBackup({ ws, id: second.id, to: join(base, 'to', `${seed}`), snapshot: false, clock });
    }
    // One rsync over all of them (a process each costs seconds on a loaded machine); the two
    // parent folders themselves differ in time, which says nothing.
    const diff = rsyncDiff(join(base, 'src'), join(base, 'to')).filter((l) => !/ \.\/$/.test(l));
    expect(diff).toEqual([]);
    // And the comparison does see a difference: one restored tree's root time moved.
    utimesSync(join(base, 'to', '7'), 5, 5);
    expect(rsyncDiff(join(base, 'src'), join(base, 'to')).some((l) => l.endsWith(' 7/'))).toBe(true);
    expect(failures).toEqual([]);
    expect(readdirSync(join(base, 'ws', 'backups')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('patches the link farm of 60 random large trees as a whole-tree build makes them, entry for entry', {
    timeout: 240_000,
  }, async () => {
    vi.stubEnv('GNR_MIGRATE_BACKUP_THREADS', '0');
    vi.stubEnv('GNR_MIGRATE_TRACE', '1');
    let patched = 0;
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      if (String(chunk).includes('(a link farm patched)')) patched++;
      return true;
    });
    const base = tempDir('gnrm-fuzz-farm-', existsSync('/dev/shm') ? '/dev/shm' : undefined);
    const ws = workspaceAt(join(base, 'ws'));
    const clock = ticking();
    const entries = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).entries;
    mkdirSync(join(base, 'src'));
    mkdirSync(join(base, 'to'));
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(1000 + seed);
      const src = join(base, 'src', `${seed}`);
      const root = Buffer.from(src);
      mkdirSync(src);
      const made: Made = { files: [], dirs: [] };
      // Names find lists (UTF-8) and times after 1970: the farm is patched as find's listing
      // is walked; every tree is "large" (the limit is 1 entry).
      buildTree(root, r, 0, made, { utf8: true, after1970: true });
      settleDirs(made, root, r, { utf8: true, after1970: true });
      const system = { name: `s${seed}`, path: src, exclude: [] };
      vi.stubEnv('GNR_MIGRATE_BACKUP_WHOLE_TREE', '1');
      vi.stubEnv('GNR_MIGRATE_BACKUP_LINK_FARM', '1');
      await createBackup({ ws, system, phase: null, runId: null, clock });
      reshape(made, root, r);
      const second = await createBackup({ ws, system, phase: null, runId: null, clock });
      vi.stubEnv('GNR_MIGRATE_BACKUP_WHOLE_TREE', '');
      vi.stubEnv('GNR_MIGRATE_BACKUP_LINK_FARM', '0');
      const whole = await createBackup({ ws, system, phase: null, runId: null, clock });
      expect(entries(second.dir), `seed ${seed}`).toEqual(entries(whole.dir));
      expect((await verifyBackup(ws, second.id, { deep: true })).problems, `seed ${seed}`).toEqual([]);
      await restoreBackup({ ws, id: second.id, to: join(base, 'to', `${seed}`), snapshot: false, clock });
    }
    const diff = rsyncDiff(join(base, 'src'), join(base, 'to')).filter((l) => !/ \.\/$/.test(l));
    expect(diff).toEqual([]);
    // The trees with a change (most) went the farm's way, none fell back to another.
    expect(patched).toBeGreaterThanOrEqual(40);
  });
});

/** change(), and what only a farm's patch must take apart: files become folders and back, folders go whole, symlinks move. */
function reshape(made: Made, root: Buffer, r: () => number): void {
  for (const f of made.files)
    if (existsSync(f) && r() < 0.1) {
      rmSync(f);
      mkdirSync(f);
      writeFileSync(join2(f, Buffer.from('inside')), 'was a file');
    }
  for (const d of made.dirs)
    if (existsSync(d) && r() < 0.15) {
      chmodSync(d, 0o755);
      rmSync(d, { recursive: true });
      if (r() < 0.5) writeFileSync(d, 'was a folder');
    }
  made.dirs = made.dirs.filter((d) => existsSync(d) && statSync(d).isDirectory());
  made.files = made.files.filter((f) => existsSync(f) && statSync(f).isFile());
  change(made, root, r, { utf8: true, after1970: true });
}
