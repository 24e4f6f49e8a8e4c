import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TreeEntry } from './tree.js';

/**
 * The torture tree of issue 4: nested and empty folders, 0-byte and 50 MB files, modes
 * 0600/0755/0444 (and a 0555 folder), relative, absolute and dangling symlinks, names with
 * spaces, unicode and newlines, hidden files, hard links, deep nesting, and mtimes with
 * sub-millisecond parts. Returns nothing: the test walks it itself (walkTree).
 */
export function buildTortureTree(root: string, opts: { bigMiB?: number; manySmall?: number } = {}): void {
  mkdirSync(root, { recursive: true });
  const file = (rel: string, content: string | Buffer, mode = 0o644) => {
    writeFileSync(join(root, rel), content);
    chmodSync(join(root, rel), mode);
  };
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'nested/empty-too'), { recursive: true });
  mkdirSync(join(root, 'sub'));
  mkdirSync(join(root, '.hidden-dir'));
  file('zero.bin', '');
  file('with space.txt', 'spaces in the name\n');
  file('ünïcødé-名前.txt', 'unicode name\n');
  file('new\nline.txt', 'a newline in the name\n');
  file('.hidden', 'hidden file\n');
  file('.hidden-dir/.inner', 'hidden in hidden\n');
  file('private.txt', 'secret\n', 0o600);
  file('script.sh', '#!/bin/sh\necho hi\n', 0o755);
  file('readonly.txt', 'read only\n', 0o444);
  file('sub/data.json', '{"a":1}\n');
  file('hard1.txt', 'two names, one inode\n');
  linkSync(join(root, 'hard1.txt'), join(root, 'hard2.txt'));
  symlinkSync('with space.txt', join(root, 'link-rel'));
  symlinkSync('../zero.bin', join(root, 'sub/link-up'));
  symlinkSync('/etc/hostname', join(root, 'link-abs'));
  symlinkSync('does/not/exist', join(root, 'link-dangling'));
  symlinkSync('nested', join(root, 'link-dir'));
  let deep = join(root, 'deep');
  for (let i = 0; i < 30; i++) deep = join(deep, `level-${i}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, 'bottom.txt'), 'at the bottom\n');
  mkdirSync(join(root, 'ro-dir'));
  file('ro-dir/inside.txt', 'in a read-only folder\n');
  if (opts.manySmall) {
    mkdirSync(join(root, 'many'));
    for (let i = 0; i < opts.manySmall; i++)
      writeFileSync(join(root, 'many', `f${i}.txt`), `file ${i}\n`.repeat(i % 50));
  }
  const big = opts.bigMiB ?? 50;
  if (big > 0) {
    const fd = openSync(join(root, 'big.bin'), 'w');
    const block = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big; i++) {
      block.fill(i % 251);
      block.writeUInt32LE(i, 0);
      writeSync(fd, block);
    }
    closeSync(fd);
  }
  // Times with sub-millisecond parts, set deepest first so folder times stick.
  setTimes(root, 1_700_000_000_123.456);
  chmodSync(join(root, 'ro-dir'), 0o555);
}

function setTimes(root: string, base: number): void {
  let n = 0;
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) visit(p);
      const t = (base + 1000 * n++ + 0.25) / 1000;
      if (st.isSymbolicLink()) lutimesSync(p, t, t);
      else utimesSync(p, t, t);
    }
  };
  visit(root);
}

/** Two walks equal in type, mode, size, content, symlink target, and mtime within 1 ms. */
export function expectSameTree(actual: Map<string, TreeEntry>, expected: Map<string, TreeEntry>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [path, want] of expected) {
    const got = actual.get(path)!;
    const { mtimeMs: a, ...restGot } = got;
    const { mtimeMs: b, ...restWant } = want;
    expect({ path, ...restGot }).toEqual({ path, ...restWant });
    expect(Math.abs(a - b), `mtime of ${JSON.stringify(path)}`).toBeLessThan(1);
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
