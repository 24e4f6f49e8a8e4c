import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest, ManifestEntry } from '../../src/backup/manifest.js';
import { parseManifest, serializeManifest } from '../../src/backup/manifest-format.js';
import { openManifest } from '../../src/backup/manifest-stream.js';
import { compareEntries, compareFolders, joinByPath } from '../../src/backup/order.js';
import { walkTree } from '../../src/backup/walk.js';
import { tempDir } from '../helpers/tmp.js';

const hash = 'a'.repeat(64);
const file = (path: string, size = 1): ManifestEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  mtimeMs: 1,
  size,
  sha256: hash,
});
const dir = (path: string): ManifestEntry => ({ path, type: 'dir', mode: 0o755, mtimeMs: 1 });

function manifest(entries: ManifestEntry[]): Manifest {
  const files = entries.filter((e) => e.type === 'file');
  return {
    version: 2,
    id: 'site_20261122-101500',
    system: 'site',
    source: '/srv/site',
    sourceType: 'dir',
    phase: null,
    runId: null,
    toolVersion: '0.1.0',
    createdAt: '2026-11-22T10:15:00.000Z',
    excludes: [],
    previous: null,
    skipped: [],
    hardLinks: 0,
    totals: {
      files: files.length,
      dirs: entries.length - files.length,
      symlinks: 0,
      bytes: files.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0),
      linkedFiles: 0,
      linkedBytes: 0,
    },
    entries,
  };
}

/** Streams a manifest text; gives its entries, problems and hash as the reader saw them. */
async function stream(text: string) {
  const path = join(tempDir('gnrm-mstream-'), 'manifest.json');
  writeFileSync(path, text);
  const opened = await openManifest(path, 'site_20261122-101500');
  if (!opened.ok) return { entries: [], problems: opened.problems, hash: '' };
  const entries: ManifestEntry[] = [];
  for await (const batch of opened.reader.batches()) entries.push(...batch);
  return { entries, problems: opened.reader.problems(), hash: opened.reader.hash() };
}

describe('a manifest read as a stream', () => {
  it('gives what the whole parse gives, and the file hash', async () => {
    // 5,000 entries: several batches and several reads of the file.
    const entries: ManifestEntry[] = [dir('d')];
    for (let i = 0; i < 5000; i++) entries.push(file(`d/f${String(i).padStart(5, '0')}`, i));
    const text = serializeManifest(manifest(entries));
    const whole = await parseManifest(text);
    expect(whole.ok).toBe(true);
    const got = await stream(text);
    expect(got.problems).toEqual([]);
    expect(got.entries).toEqual(entries);
    expect(got.hash).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('refuses what the whole parse refuses, in the same words', async () => {
    const cases = [
      manifest([file('b'), file('a')]),
      manifest([dir('a'), file('a/x'), file('z')]),
      manifest([file('a'), file('a')]),
      manifest([file('x/y')]),
      manifest([{ path: 'l', type: 'symlink', mode: 0o777, mtimeMs: 1, target: '/etc' }, file('l/passwd')]),
      manifest([dir('a'), { ...file('a/x'), path: 'a/../../x' }]),
      { ...manifest([file('a')]), totals: { ...manifest([file('a')]).totals, bytes: 9 } },
    ];
    for (const m of cases) {
      const text = serializeManifest(m);
      const whole = await parseManifest(text);
      expect(whole.ok, JSON.stringify(m.entries)).toBe(false);
      const got = await stream(text);
      expect(got.problems).toEqual(whole.ok ? [] : whole.problems);
    }
  });

  it('refuses a file cut short or with a line after the end', async () => {
    const text = serializeManifest(manifest([dir('a'), file('a/x')]));
    expect((await stream(text.slice(0, text.lastIndexOf(']')))).problems).toEqual([
      'not JSON: the entries are not closed (the file is cut short?)',
    ]);
    const cut = text.lastIndexOf('\n    {');
    expect((await stream(text.slice(0, cut))).problems.length).toBeGreaterThan(0);
  });

  it('reads a manifest reformatted by hand whole', async () => {
    const m = manifest([dir('a'), file('a/x')]);
    const got = await stream(JSON.stringify(m, null, 1));
    expect(got.problems).toEqual([]);
    expect(got.entries).toEqual(m.entries);
  });
});

describe('the walk order', () => {
  it('compares two paths of one folder as it compares any two (folders first, then names)', () => {
    // The rule spelled out slowly: folders by compareFolders, then names by code unit.
    const slow = (a: string, b: string) => {
      const [sa, sb] = [a.lastIndexOf('/'), b.lastIndexOf('/')];
      const f = compareFolders(sa < 0 ? '' : a.slice(0, sa), sb < 0 ? '' : b.slice(0, sb));
      if (f !== 0) return Math.sign(f);
      const [na, nb] = [a.slice(sa + 1), b.slice(sb + 1)];
      return na < nb ? -1 : na > nb ? 1 : 0;
    };
    const parts = ['a', 'a-b', 'a.b', 'ab', 'B', 'é', 'a b', 'z', 'a/b', 'a-b/c'];
    const paths: string[] = [];
    for (const x of parts) for (const y of parts) paths.push(x, `${x}/${y}`, `${x}/${y}/${x}`);
    for (const a of paths) for (const b of paths) expect(Math.sign(compareEntries(a, b))).toBe(slow(a, b));
  });

  it('is the order the walk gives, so a walk and a manifest join', async () => {
    const root = tempDir('gnrm-mstream-');
    const names = ['a', 'a-b', 'a.txt', 'B', 'a b', 'é', 'z'];
    for (const n of names) writeFileSync(join(root, `${n}.f`), '');
    for (const n of names) {
      mkdirSync(join(root, n), { recursive: true });
      for (const m of names) writeFileSync(join(root, n, m), '');
      mkdirSync(join(root, n, 'sub'));
      writeFileSync(join(root, n, 'sub', 'x'), '');
    }
    const walked = (await walkTree(root)).entries.map((e) => e.path);
    expect([...walked].sort(compareEntries)).toEqual(walked);
    async function* batches<T>(items: T[]) {
      for (let i = 0; i < items.length; i += 7) yield items.slice(i, i + 7);
    }
    const left = walked.filter((_, i) => i % 3 !== 0).map((path) => ({ path }));
    const right = walked.filter((_, i) => i % 2 !== 0).map((path) => ({ path }));
    const joined: string[] = [];
    for await (const pairs of joinByPath(batches(left), batches(right)))
      for (const [l, r] of pairs) {
        if (l && r) expect(l.path).toBe(r.path);
        joined.push((l ?? r)!.path);
      }
    expect(joined).toEqual(walked.filter((_, i) => i % 3 !== 0 || i % 2 !== 0));
  });
});
