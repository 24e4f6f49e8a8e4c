import { describe, expect, it } from 'vitest';
import { compileExcludes, findPruneTests, rsyncExcludeArgs } from '../../src/backup/excludes.js';

describe('exclude globs', () => {
  const cases: Array<[string, string, boolean, boolean]> = [
    // pattern, path, isDir, excluded
    ['logs/**', 'logs/a.log', false, true],
    ['logs/**', 'logs/2026/a.log', false, true],
    ['logs/**', 'logs', true, false], // the folder itself is kept, empty
    ['logs/**', 'sub/logs/a.log', false, false], // anchored: has a slash
    ['**/*.pyc', 'a.pyc', false, true],
    ['**/*.pyc', 'pkg/mod/a.pyc', false, true],
    ['**/*.pyc', 'pkg/mod/a.py', false, false],
    ['*.pyc', 'deep/down/x.pyc', false, true], // no slash: any depth, like .gitignore
    ['*.pyc', '.hidden.pyc', false, true], // dotfiles match
    ['data/cache/', 'data/cache', true, true],
    ['data/cache/', 'data/cache', false, false], // trailing slash: folders only
    ['/top.txt', 'top.txt', false, true],
    ['/top.txt', 'sub/top.txt', false, false],
    ['a/**/z', 'a/z', false, true],
    ['a/**/z', 'a/b/c/z', false, true],
    ['file-?.txt', 'file-1.txt', false, true],
    ['file-?.txt', 'file-10.txt', false, false],
    ['[ab]*.log', 'b1.log', false, true],
    ['[!ab]*.log', 'b1.log', false, false],
    ['[!ab]*.log', 'c1.log', false, true],
    ['*.{pyc,pyo}', 'x.pyo', false, true],
    ['sockets/*.sock', 'sockets/gunicorn.sock', false, true],
    ['with space/*', 'with space/x', false, true],
    ['a.b', 'axb', false, false], // dots are literal
    ['ü*', 'ünïcødé.txt', false, true],
  ];
  it.each(cases)('%s on %j (dir %s) → %s', (pattern, path, isDir, excluded) => {
    expect(compileExcludes([pattern])(path, isDir)).toBe(excluded);
  });

  it('matches nothing without patterns, and any of several', () => {
    expect(compileExcludes([])('anything', false)).toBe(false);
    const m = compileExcludes(['logs/**', '**/*.pyc']);
    expect(m('logs/x', false)).toBe(true);
    expect(m('a/b.pyc', false)).toBe(true);
    expect(m('a/b.py', false)).toBe(false);
  });

  it('matches names with newlines', () => {
    expect(compileExcludes(['*.tmp'])('odd\nname.tmp', false)).toBe(true);
  });

  it('says each pattern to rsync as the matcher reads it', () => {
    expect(
      rsyncExcludeArgs(['logs/**', '*.pyc', 'cache/', '/top', 'a/**/z', '*.{pyc,pyo}', 'lit\\*']),
    ).toEqual(
      [
        '--exclude=/logs/**',
        '--exclude=*.pyc',
        '--exclude=cache/',
        '--exclude=/top',
        '--exclude=/a/z',
        '--exclude=/a/**/z',
        '--exclude=*.pyc',
        '--exclude=*.pyo',
        '--exclude=lit\\*',
      ].filter((v, i, a) => a.indexOf(v) === i),
    );
  });

  it('prunes in find only what is certain', () => {
    expect(findPruneTests('/r', ['logs/**', '__pycache__/', '*.pyc', 'a/*/b/**'])).toEqual([
      ['-path', '/r/logs/*'],
      ['-name', '__pycache__', '-type', 'd'],
    ]);
  });
});
