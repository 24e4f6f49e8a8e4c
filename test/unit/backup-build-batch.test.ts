import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { entryRecord, SetDigest } from '../../src/backup/set-digest.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { ticking } from '../helpers/clock.js';
import { tempDir } from '../helpers/tmp.js';

// The compiled engine (npm run build): only there is the file worker beside the pool to run it.
const compiled = new URL('../../dist/backup/index.js', import.meta.url);
const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

describe('a backup built a batch at a time on worker threads', () => {
  it('sums set digests split in parts to the digest of the whole', () => {
    const st = { mode: 0o644, mtimeMs: 1, size: 3, uid: 0, gid: 0, nlink: 1, ctimeMs: 2, ino: 3 };
    const members = Array.from({ length: 500 }, (_, i) => entryRecord('file', `f${i}`, { ...st, ino: i }, 3));
    const whole = new SetDigest();
    for (const m of members) whole.add(m);
    const total = new SetDigest();
    // Parts as the threads make them (one empty), added in any order.
    for (const [from, to] of [
      [250, 499],
      [0, 7],
      [499, 500],
      [7, 250],
      [3, 3],
    ] as const) {
      const part = new SetDigest();
      for (const m of members.slice(from, to)) part.add(m);
      total.addWords(part.words());
    }
    expect(total.hex()).toBe(whole.hex());
  });

  it.runIf(existsSync(compiled))(
    'gives the manifest this thread gives, and keeps the listing by the parts summed',
    async () => {
      const { createBackup } = (await import(compiled.href)) as typeof import('../../src/backup/index.js');
      const root = tempDir('gnrm-batches-');
      const src = join(root, 'site');
      // Files over several batches (256 a batch), folders and symlinks between them.
      for (let d = 0; d < 12; d++) {
        mkdirSync(join(src, `d${d}`, 'sub'), { recursive: true });
        for (let i = 0; i < 90; i++) writeFileSync(join(src, `d${d}`, `f${i}`), `file ${d}/${i}\n`.repeat(i));
        writeFileSync(join(src, `d${d}`, 'sub', 'x'), 'x');
        symlinkSync('sub/x', join(src, `d${d}`, 'link'));
      }
      // Above the whole-tree limit: the second backup too is built file by file (fill.ts).
      process.env.GNR_MIGRATE_BACKUP_WHOLE_TREE = '10';
      const system = { name: 'site', path: src, exclude: [] };
      const backup = (threads: string) => {
        process.env.GNR_MIGRATE_BACKUP_THREADS = threads;
        const ws = workspaceAt(join(root, `ws${threads}`));
        return createBackup({ ws, system, phase: null, runId: null, clock: ticking() });
      };
      const entries = (dir: string): Array<Record<string, unknown>> =>
        JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).entries;
      const firsts = [await backup('2'), await backup('0')];
      for (const b of firsts) expect(existsSync(join(b.dir, '.listing'))).toBe(true);
      expect(entries(firsts[0]!.dir)).toHaveLength(12 * 94);
      expect(entries(firsts[0]!.dir)).toEqual(entries(firsts[1]!.dir));
      writeFileSync(join(src, 'd3', 'f5'), 'changed\n');
      const seconds = [await backup('2'), await backup('0')];
      for (const b of seconds) {
        expect(b.linkedFiles).toBe(12 * 91 - 1);
        expect(existsSync(join(b.dir, '.listing'))).toBe(true);
      }
      expect(entries(seconds[0]!.dir)).toEqual(entries(seconds[1]!.dir));
    },
  );
});
