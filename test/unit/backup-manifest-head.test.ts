import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entriesKey, readManifestHead } from '../../src/backup/manifest-format.js';
import { tempDir } from '../helpers/tmp.js';

/** The one reader of a manifest's header (manifest-format.ts), used by every command that streams one. */
function headOf(text: string, options: { limit: number; chunk?: number }) {
  const file = join(tempDir('gnrm-head-'), 'manifest.json');
  writeFileSync(file, text);
  const fd = openSync(file, 'r');
  const seen: Buffer[] = [];
  try {
    return { ...readManifestHead(fd, { ...options, onRead: (b) => seen.push(Buffer.from(b)) }), seen };
  } finally {
    closeSync(fd);
  }
}

describe("a manifest's header", () => {
  const header = `{\n  "version": 2,\n  "id": "site_1"`;
  const text = `${header}${entriesKey}\n    {"path":"a","type":"dir"}\n  ]\n}\n`;

  it('is found wherever the reads cut the key, and every byte read is handed on', () => {
    for (let chunk = 1; chunk <= text.length + 1; chunk++) {
      const got = headOf(text, { limit: 1 << 20, chunk });
      expect(got.cut).toBe(header.length);
      expect(got.bytes.toString().startsWith(header + entriesKey)).toBe(true);
      expect(Buffer.concat(got.seen).equals(got.bytes)).toBe(true);
    }
  });

  it('is not found past the limit, or in a file without entries', () => {
    expect(headOf(text, { limit: 8, chunk: 4 }).cut).toBe(-1);
    const none = headOf(header, { limit: 1 << 20 });
    expect(none).toMatchObject({ cut: -1, eof: true });
  });
});
