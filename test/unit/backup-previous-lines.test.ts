import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotPatchable } from '../../src/backup/incremental.js';
import { createBackup } from '../../src/backup/index.js';
import { type PrevLine, streamPreviousLines } from '../../src/backup/previous.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { buildTortureTree } from '../helpers/backup-torture.js';
import { ticking } from '../helpers/clock.js';
import { tempDir } from '../helpers/tmp.js';

/** The previous manifest's lines as a large tree's farm patch reads them (previous.ts). */
describe('the previous manifest read a line at a time', () => {
  it('gives every entry its path and its line as written, and refuses a file not so written', async () => {
    const root = tempDir('gnrm-prev-lines-');
    const ws = workspaceAt(join(root, 'ws'));
    const src = join(root, 'site');
    buildTortureTree(src, { manySmall: 20 });
    const system = { name: 'site', path: src, exclude: [] };
    const b = await createBackup({ ws, system, phase: null, runId: null, clock: ticking() });
    const ref = { id: b.id, dir: b.dir, entries: 0 };
    const read = async () => {
      const stream = streamPreviousLines(ref)!;
      const lines: PrevLine[] = [];
      for await (const batch of stream.batches) lines.push(...batch);
      return { root: stream.root, lines };
    };
    const manifest = JSON.parse(readFileSync(join(b.dir, 'manifest.json'), 'utf8'));
    const { root: rootAttrs, lines } = await read();
    expect(rootAttrs).toEqual(manifest.root);
    // Names with a newline, a space, non-ASCII letters: unescaped only where they need it.
    expect(lines.map((l) => l.path)).toEqual(manifest.entries.map((e: { path: string }) => e.path));
    expect(lines.map((l) => l.path)).toContain('new\nline.txt');
    expect(lines.map((l) => JSON.parse(l.line))).toEqual(manifest.entries);
    expect(lines.map((l) => l.type)).toEqual(manifest.entries.map((e: { type: string }) => e.type));

    const file = join(b.dir, 'manifest.json');
    const text = readFileSync(file, 'utf8');
    const refused = async (edited: string, why: RegExp) => {
      writeFileSync(file, edited);
      await expect(read()).rejects.toThrow(NotPatchable);
      await expect(read()).rejects.toThrow(why);
    };
    const rows = text.split('\n');
    const at = rows.findIndex((r) => r.startsWith('    {"path":"many/'));
    const swapped = [...rows];
    [swapped[at], swapped[at + 1]] = [swapped[at + 1]!, swapped[at]!];
    await refused(swapped.join('\n'), /out of order/);
    await refused(text.slice(0, text.length - 40), /cut short|another shape/);
    await refused(text.replace('{"path":"zero.bin"', '  {"path":"zero.bin"'), /another shape/);
    writeFileSync(file, text.replace(`"id": "${b.id}"`, '"id": "site_20000101-000000"'));
    expect(streamPreviousLines(ref)).toBeUndefined();
  });
});
