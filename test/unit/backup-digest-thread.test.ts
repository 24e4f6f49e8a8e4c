import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileExcludes } from '../../src/backup/excludes.js';
import { listingDigest } from '../../src/backup/find-scan.js';
import { tempDir } from '../helpers/tmp.js';

// The compiled module (npm run build): only there is the worker beside it to run.
const compiled = new URL('../../dist/backup/digest-thread.js', import.meta.url);

describe('the listing digest on its own thread', () => {
  it.runIf(existsSync(compiled))(
    'gives what this thread gives, excludes and avoided folders included',
    async () => {
      const { digestListing } = (await import(
        compiled.href
      )) as typeof import('../../src/backup/digest-thread.js');
      const root = tempDir('gnrm-digest-');
      mkdirSync(root, { recursive: true });
      // 60,000 records in two parts, as find writes them: above the thread's threshold.
      const rec = (type: string, path: string, ino: number) =>
        `${type} ${type === 'f' ? 100 + (ino % 7) : 4096} 1700000000.${String(ino).padStart(10, '0')} 1700000001.0000000000 644 0 0 1 2049 ${ino}\0${path}\0\0`;
      const parts = [join(root, 'l0'), join(root, 'l1')];
      const lines: string[][] = [[rec('d', '', 1), rec('d', 'logs', 2), rec('d', 'a', 3)], []];
      for (let i = 0; i < 30_000; i++)
        lines[1]!.push(rec('f', `a/f${i}`, 10 + i), rec('f', `logs/x${i}`, 100_000 + i));
      for (const [i, p] of parts.entries()) writeFileSync(p, lines[i]!.join(''));
      const listing = { parts, hash: '', records: 60_003, files: 60_000, bytes: 0 };
      const excludes = ['logs/**'];
      for (const avoid of [new Set<string>(), new Set(['2049:3'])]) {
        const here = listingDigest(listing, { exclude: compileExcludes(excludes), avoid });
        expect(here).toMatch(/^[0-9a-f]{64}$/);
        expect(await digestListing(listing, excludes, avoid).value()).toBe(here);
      }
    },
  );
});
