import { describe, expect, it } from 'vitest';
import {
  entrySchema,
  type Manifest,
  manifestHeaderSchema,
  manifestJsonSchema,
} from '../../src/backup/manifest.js';
import {
  entryProblem,
  headerProblem,
  isSafeRelPath,
  parseManifest,
  parseManifestHeader,
  serializeManifest,
} from '../../src/backup/manifest-format.js';

const hash = 'a'.repeat(64);

function manifest(entries: Manifest['entries'], over: Partial<Manifest> = {}): Manifest {
  const files = entries.filter((e) => e.type === 'file');
  return {
    version: 1,
    id: 'site_20261122-101500',
    system: 'site',
    source: '/srv/site',
    sourceType: 'dir',
    phase: 3,
    runId: 'r1',
    toolVersion: '0.1.0',
    createdAt: '2026-11-22T10:15:00.000Z',
    excludes: ['logs/**'],
    root: { mode: 0o755, mtimeMs: 1, uid: 0, gid: 0 },
    previous: null,
    skipped: [],
    hardLinks: 0,
    totals: {
      files: files.length,
      dirs: entries.filter((e) => e.type === 'dir').length,
      symlinks: entries.filter((e) => e.type === 'symlink').length,
      bytes: files.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0),
      linkedFiles: 0,
      linkedBytes: 0,
    },
    entries,
    ...over,
  };
}

// In the walk's order: the root's entries, then a's.
const good = manifest([
  { path: 'a', type: 'dir', mode: 0o755, mtimeMs: 1 },
  { path: 'odd\nname ü', type: 'file', mode: 0o600, mtimeMs: 4, size: 0, sha256: hash },
  { path: 'a/b.txt', type: 'file', mode: 0o644, mtimeMs: 2.5, size: 3, sha256: hash, uid: 1000, gid: 1000 },
  { path: 'a/link', type: 'symlink', mode: 0o777, mtimeMs: 3, target: '../../outside' },
]);

describe('manifest', () => {
  it('round-trips through its on-disk form, one entry per line', async () => {
    const text = serializeManifest(good);
    const parsed = await parseManifest(text);
    expect(parsed).toEqual({ ok: true, value: good });
    expect(text.split('\n').filter((l) => l.startsWith('    {"path"'))).toHaveLength(4);
  });

  it('reads the header without the entries, and falls back when reformatted', async () => {
    const { entries: _e, ...header } = good;
    expect(await parseManifestHeader(serializeManifest(good))).toEqual({ ok: true, value: header });
    expect(await parseManifestHeader(JSON.stringify(good))).toEqual({ ok: true, value: header });
  });

  it.each([['../etc/passwd'], ['a/../../x'], ['/etc/passwd'], ['./a'], ['a//b'], ['']])(
    'refuses the path %j',
    async (path) => {
      expect(isSafeRelPath(path)).toBe(false);
      const bad = manifest([{ path, type: 'file', mode: 0o644, mtimeMs: 1, size: 0, sha256: hash }]);
      const parsed = await parseManifest(serializeManifest(bad));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.problems.join('\n')).toMatch(/entries\[0\]\.path: .*refused/);
    },
  );

  it('refuses an entry under a symlink or under a folder not listed before it', async () => {
    const underLink = manifest([
      { path: 'l', type: 'symlink', mode: 0o777, mtimeMs: 1, target: '/etc' },
      { path: 'l/passwd', type: 'file', mode: 0o644, mtimeMs: 1, size: 0, sha256: hash },
    ]);
    const p1 = await parseManifest(serializeManifest(underLink));
    expect(p1.ok ? [] : p1.problems).toEqual(['l/passwd: its parent l is a symlink, not a folder']);
    const orphan = manifest([{ path: 'x/y', type: 'file', mode: 0o644, mtimeMs: 1, size: 0, sha256: hash }]);
    const p2 = await parseManifest(serializeManifest(orphan));
    expect(p2.ok ? [] : p2.problems).toEqual(['x/y: its parent folder x is not listed before it']);
  });

  it('refuses duplicates, wrong totals, a bad hash, unknown keys and non-JSON', async () => {
    const dup = manifest([
      { path: 'a', type: 'file', mode: 0o644, mtimeMs: 1, size: 0, sha256: hash },
      { path: 'a', type: 'file', mode: 0o644, mtimeMs: 1, size: 0, sha256: hash },
    ]);
    expect(await parseManifest(serializeManifest(dup))).toMatchObject({
      ok: false,
      problems: ['a: listed twice'],
    });
    const totals = { ...good, totals: { ...good.totals, bytes: 99 } };
    expect((await parseManifest(serializeManifest(totals))).ok).toBe(false);
    const text = serializeManifest(good).replace(hash, 'XYZ');
    expect(await parseManifest(text)).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/sha256/)],
    });
    expect(
      (await parseManifest(serializeManifest(good).replace('"type":"dir"', '"type":"dir","evil":1'))).ok,
    ).toBe(false);
    expect((await parseManifest('{ not json')).ok).toBe(false);
  });

  it('keeps its fast entry check in agreement with the zod schema', () => {
    const samples: unknown[] = [
      ...good.entries,
      { path: 'a', type: 'file', mode: 0o644, mtimeMs: 1, size: 0 },
      { path: 'a', type: 'file', mode: 0o644, mtimeMs: 1, size: -1, sha256: hash },
      { path: 'a', type: 'file', mode: 0o644, mtimeMs: 1, size: 1.5, sha256: hash },
      { path: 'a', type: 'file', mode: 0o10000, mtimeMs: 1, size: 0, sha256: hash },
      { path: 'a', type: 'file', mode: 0o644, mtimeMs: '1', size: 0, sha256: hash },
      { path: 'a', type: 'file', mode: 0o644, mtimeMs: 1, size: 0, sha256: hash, uid: -1 },
      { path: 'a', type: 'symlink', mode: 0o777, mtimeMs: 1 },
      { path: 'a', type: 'symlink', mode: 0o777, mtimeMs: 1, target: '' },
      { path: 'a', type: 'dir', mode: 0o755, mtimeMs: 1, sha256: hash },
      { path: 'a', type: 'fifo', mode: 0o644, mtimeMs: 1 },
      { path: '../a', type: 'dir', mode: 0o755, mtimeMs: 1 },
      { path: 'a', type: 'dir', mode: 0o755, mtimeMs: Number.NaN },
      null,
      [],
      'a',
    ];
    for (const s of samples)
      expect(entryProblem(s) === undefined, JSON.stringify(s)).toBe(entrySchema.safeParse(s).success);
  });

  it('keeps its fast header check in agreement with the zod schema', () => {
    const { entries: _e, ...header } = good;
    const variants: Record<string, unknown>[] = [
      header,
      { ...header, root: undefined },
      { ...header, phase: null, runId: null, previous: 'site_20261122-101400' },
      { ...header, version: 2 },
      { ...header, extra: true },
      { ...header, sourceType: 'socket' },
      { ...header, excludes: [1] },
      { ...header, root: { mode: 0o755, mtimeMs: 1, extra: 1 } },
      { ...header, root: { mode: -1, mtimeMs: 1 } },
      { ...header, skipped: [{ path: 'a' }] },
      { ...header, skipped: [{ path: 'a', reason: 'socket', x: 1 }] },
      { ...header, hardLinks: 1.5 },
      { ...header, totals: { ...header.totals, files: -1 } },
      { ...header, totals: { ...header.totals, more: 1 } },
      { ...header, phase: '3' },
      { ...header, id: 5 },
    ];
    for (const v of variants) {
      const clean = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
      expect(headerProblem(clean) === undefined, JSON.stringify(clean)).toBe(
        manifestHeaderSchema.safeParse(clean).success,
      );
    }
  });

  it('has a JSON Schema', () => {
    const schema = manifestJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['entries', 'totals', 'source']));
  });
});
