import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLinkFarm } from '../../src/backup/link-farm.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The link farm (link-farm.ts): the previous backup's data/ hard-linked by `cp -al`, its
 * top-level entries in runs in the walk's order, each run's entries whole when `ready` says so,
 * while a patch (fill.ts) works on those before.
 */
function previousData(folders: number) {
  const root = tempDir('gnrm-farm-');
  const from = join(root, 'from');
  for (let d = 0; d < folders; d++) {
    const dir = join(from, `d${String(d).padStart(2, '0')}`, 'inner');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 5; f++) writeFileSync(join(dir, `f${f}`), `${d}/${f}\n`);
  }
  writeFileSync(join(from, 'top-file'), 'top\n');
  utimesSync(from, new Date('2026-01-02T03:04:05Z'), new Date('2026-01-02T03:04:05Z'));
  return { root, from, to: join(root, 'to') };
}

describe('a link farm', () => {
  it('holds each top-level entry whole once ready, and the root as the previous one once done', async () => {
    const { from, to } = previousData(40);
    const farm = startLinkFarm(from, to);
    // Its root is this process's until done: there to write in.
    expect(farm.rootFrom).toBe(from);
    expect(statSync(to).mode & 0o777).toBe(0o700);
    const names = readdirSync(from).sort();
    for (const name of names) {
      expect(await farm.ready(name)).toBe(true);
      expect(existsSync(join(to, name))).toBe(true);
      if (name !== 'top-file') expect(readdirSync(join(to, name, 'inner'))).toHaveLength(5);
    }
    // A name the previous backup does not have is the patch's to make, at once.
    expect(await farm.ready('not-there')).toBe(true);
    expect(await farm.ready('')).toBe(true);
    expect(await farm.done()).toBe(true);
    const [a, b] = [statSync(from), statSync(to)];
    expect(b.mtimeMs).toBe(a.mtimeMs);
    expect(b.mode).toBe(a.mode);
    // Linked, not copied.
    expect(statSync(join(to, 'd00/inner/f0')).ino).toBe(statSync(join(from, 'd00/inner/f0')).ino);
  });

  it('made by one cp is ready only whole, its root vouched for by itself', async () => {
    const { from, to } = previousData(3);
    const farm = startLinkFarm(from, to, 1);
    expect(farm.rootFrom).toBe(to);
    expect(await farm.ready('d00')).toBe(true);
    expect(readdirSync(to).sort()).toEqual(readdirSync(from).sort());
    expect(await farm.done()).toBe(true);
  });

  it('says false for every run from the one that failed on, and done false', async () => {
    const { from, to } = previousData(40);
    const farm = startLinkFarm(from, to);
    // The last run cannot start before the first ones have ended: this is there before it.
    writeFileSync(join(to, 'top-file'), 'in the way\n');
    mkdirSync(join(to, 'd39'));
    writeFileSync(join(to, 'd39', 'inner'), 'a file where a folder goes\n');
    expect(await farm.ready('d00')).toBe(true);
    expect(await farm.ready('d39')).toBe(false);
    expect(await farm.ready('top-file')).toBe(false);
    expect(await farm.done()).toBe(false);
    expect(farm.error()).toMatch(/inner/);
  });

  it('stops: cp killed, nothing more started, done false', async () => {
    const { from, to } = previousData(40);
    const farm = startLinkFarm(from, to);
    await farm.stop();
    expect(await farm.done()).toBe(false);
    expect(await farm.ready('top-file')).toBe(false);
  });
});
