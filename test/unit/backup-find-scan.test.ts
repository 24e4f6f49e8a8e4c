import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileExcludes } from '../../src/backup/excludes.js';
import {
  findListing,
  type Prune,
  readListing,
  removeListing,
  walkFromListing,
} from '../../src/backup/find-scan.js';
import { indexListing, OddListing, streamListing } from '../../src/backup/listing-walk.js';
import { type WalkEntry, type WalkOptions, walkTree } from '../../src/backup/walk.js';
import { buildTortureTree } from '../helpers/backup-torture.js';
import { tempDir } from '../helpers/tmp.js';

/** find's listing read whole and walked, as source.ts does for a small tree; undefined when find gives up. */
async function findScan(
  src: string,
  scratch: string,
  prune: Prune,
  walk: Pick<WalkOptions, 'exclude' | 'avoid'>,
) {
  const found = await findListing(src, scratch, prune);
  if (!found) return undefined;
  const listing = readListing(found)!;
  removeListing(found);
  return walkFromListing(listing, walk);
}

/** find-scan.ts must give what walkTree gives with every file stat'ed, entry for entry. */
describe('walking a source with find', () => {
  it('gives the Node walk: order, types, numbers, excludes, skipped entries', async () => {
    const root = tempDir('gnrm-find-');
    const src = join(root, 'site');
    buildTortureTree(src, { bigMiB: 1, manySmall: 30 });
    mkdirSync(join(src, 'logs/old'), { recursive: true });
    writeFileSync(join(src, 'logs/old/a.log'), 'log\n');
    writeFileSync(join(src, 'x.pyc'), 'compiled\n');
    mkdirSync(join(src, 'backups/inside'), { recursive: true });
    writeFileSync(join(src, 'backups/inside/b.json'), '{}\n');
    for (const dir of ['__pycache__', 'sub/__pycache__/deeper']) {
      mkdirSync(join(src, dir), { recursive: true });
      writeFileSync(join(src, dir, 'm.pyc'), 'compiled\n');
    }
    execFileSync('mkfifo', [join(src, 'pipe')]);
    const server = createServer();
    await new Promise<void>((r) => server.listen(join(src, 'app.sock'), r));
    try {
      const backups = statSync(join(src, 'backups'));
      // Pruned by find (literal folders and names), and not (globs): the same walk either way.
      for (const patterns of [[], ['logs/**', '__pycache__/', 'nested/', '*.pyc', 'deep/level-[0-9]/']]) {
        const options = {
          exclude: compileExcludes(patterns),
          avoid: new Set([`${backups.dev}:${backups.ino}`]),
        };
        const byNode = await walkTree(src, { ...options, statFiles: true });
        const scratch = join(root, 'scratch');
        const byFind = await findScan(
          src,
          scratch,
          { excludes: patterns, backupsDir: join(src, 'backups') },
          options,
        );
        expect(byFind).toEqual(byNode);
        expect(existsSync(scratch)).toBe(false);
        // Indexed and read a folder at a time (listing-walk.ts): the same walk, in small batches.
        const listed = await findListing(src, scratch, {
          excludes: patterns,
          backupsDir: join(src, 'backups'),
        });
        const summary = { skipped: [], excluded: 0 };
        const streamed: WalkEntry[] = [];
        for await (const batch of streamListing(indexListing(listed!)!, options, summary, 5))
          for (const e of batch) streamed.push(e);
        removeListing(listed!);
        expect({ entries: streamed, ...summary }).toEqual(byNode);
        expect(byNode.skipped.map((e) => e.path).sort()).toEqual(['app.sock', 'backups', 'pipe']);
        expect(byNode.excluded).toBe(patterns.length === 0 ? 0 : 6);
      }
      // What find was told to prune it did not list.
      const listing = await findListing(src, join(root, 'scratch'), {
        excludes: ['logs/**', '__pycache__/'],
        backupsDir: join(src, 'backups'),
      });
      const text = readListing(listing!)!.toString();
      expect(text).toContain('\0logs/old\0');
      expect(text).not.toContain('logs/old/a.log');
      expect(text).toContain('\0sub/__pycache__\0');
      expect(text).not.toContain('__pycache__/');
      expect(text).toContain('\0backups\0');
      expect(text).not.toContain('backups/inside');
      // Its regular files and their bytes, counted as it is hashed: the progress meter's total.
      const all = await findListing(src, join(root, 'scratch'), { excludes: [] });
      const files = byNodeFiles(await walkTree(src, { statFiles: true }));
      expect({ files: all!.files, bytes: all!.bytes }).toEqual(files);
    } finally {
      server.close();
    }
  });

  it('lists with several finds what one find lists, the same bytes every time', async () => {
    const root = tempDir('gnrm-find-');
    const src = join(root, 'site');
    buildTortureTree(src, { bigMiB: 1, manySmall: 30 });
    for (const d of ['a', 'b', 'c', 'logs/old']) {
      mkdirSync(join(src, d, 'deep'), { recursive: true });
      writeFileSync(join(src, d, 'deep', 'f.txt'), d);
    }
    writeFileSync(join(src, 'logs/old/x.log'), 'log');
    const recordsOf = (buf: Buffer) =>
      buf
        .toString('utf8')
        .split(/(?<=\0[^\0]*\0[^\0]*\0)/)
        .filter(Boolean)
        .sort();
    const single = join(root, 'single');
    execFileSync('find', ['-H', src, '-fprintf', single, '%y %s %T@ %C@ %m %U %G %n %D %i\\0%P\\0%l\\0']);
    const one = await findListing(src, join(root, 'scratch'), { excludes: [] });
    expect(one!.parts.length).toBeGreaterThan(1);
    const again = await findListing(src, join(root, 'scratch2'), { excludes: [] });
    expect(again!.hash).toBe(one!.hash);
    expect(recordsOf(readListing(one!)!)).toEqual(recordsOf(readFileSync(single)));
    // An excluded folder is not a start point; a pruned path inside one is listed, not entered.
    const pruned = await findListing(src, join(root, 'scratch3'), { excludes: ['a/', 'logs/old/**'] });
    const text = readListing(pruned!)!.toString();
    expect(text).toContain('\0a\0');
    expect(text).not.toContain('a/deep');
    expect(text).toContain('\0logs/old/x.log\0');
    expect(text).not.toContain('logs/old/deep/f.txt');
    // A folder named like an option of find: one find lists the whole tree.
    mkdirSync(join(src, '-dash'));
    const dashed = await findListing(src, join(root, 'scratch4'), { excludes: [] });
    expect(dashed!.parts).toHaveLength(1);
    expect(readListing(dashed!)!.toString()).toContain('\0-dash\0');
  });

  it('gives up on a name that is not valid UTF-8, for the Node walk to report it', async () => {
    const root = tempDir('gnrm-find-');
    mkdirSync(join(root, 'site'));
    writeFileSync(Buffer.from(`${join(root, 'site')}/bad-\xff-name`, 'latin1'), 'x');
    expect(await findScan(join(root, 'site'), join(root, 'scratch'), { excludes: [] }, {})).toBeUndefined();
    const listing = await findListing(join(root, 'site'), join(root, 'scratch'), { excludes: [] });
    expect(indexListing(listing!)).toBeUndefined();
    removeListing(listing!);
  });

  it('stops the indexed walk at a time before 1970, for the Node walk to take it', async () => {
    const root = tempDir('gnrm-find-');
    mkdirSync(join(root, 'site/a'), { recursive: true });
    writeFileSync(join(root, 'site/a/old'), 'x');
    // Node's utimes takes a negative time for now; touch does not.
    execFileSync('touch', ['-d', '1969-12-31 00:00:00 UTC', join(root, 'site/a/old')]);
    const listing = await findListing(join(root, 'site'), join(root, 'scratch'), { excludes: [] });
    const walk = streamListing(indexListing(listing!)!, {}, { skipped: [], excluded: 0 });
    await expect(
      (async () => {
        for await (const _ of walk);
      })(),
    ).rejects.toThrow(OddListing);
    removeListing(listing!);
  });
});

function byNodeFiles(walk: Awaited<ReturnType<typeof walkTree>>): { files: number; bytes: number } {
  const files = walk.entries.filter((e) => e.type === 'file');
  return { files: files.length, bytes: files.reduce((sum, e) => sum + e.st!.size, 0) };
}
