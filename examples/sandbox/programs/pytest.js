// @ts-check
// Sandbox stand-in for `pytest` / `python3 -m pytest`.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { err, options, out } from '../lib/cli.js';

/** @param {{ P?: unknown, argv: string[], fault: string | null }} options */
export function run({ argv, fault }) {
  const { pos } = options(argv, {
    values: ['-p', '-k', '-m', '--rootdir', '-o', '--junitxml'],
    flags: ['-q', '-x', '-v', '-s', '--tb=short'],
  });
  const paths = pos.filter((p) => !p.startsWith('-'));
  const files = [];
  const walk = (p) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) walk(join(p, f));
    } else if (/^test_.*\.py$|_test\.py$/.test(basename(p))) files.push(p);
  };
  for (const p of paths.length ? paths : ['.']) {
    if (!existsSync(p)) {
      err(`ERROR: file or directory not found: ${p}`);
      return 4;
    }
    walk(p);
  }
  const tests = files.map((f) => ({
    file: f,
    n: (readFileSync(f, 'utf8').match(/^\s*def test_/gm) ?? []).length,
  }));
  const total = tests.reduce((a, t) => a + t.n, 0);
  out('============================= test session starts ==============================');
  out(
    `platform linux -- Python 3.11.7, pytest-8.3.3, pluggy-1.5.0 (sandbox stand-in)`,
    `rootdir: ${process.cwd()}`,
    `collected ${total} items`,
    '',
  );
  if (total === 0) {
    out('============================ no tests ran in 0.01s =============================');
    return 5;
  }
  let failed = 0;
  for (const t of tests) {
    let marks = '.'.repeat(t.n);
    if (fault === 'fail' && failed === 0 && t.n > 0) {
      marks = `F${marks.slice(1)}`;
      failed = 1;
    }
    out(`${relative(process.cwd(), t.file)} ${marks}`);
  }
  out('');
  if (failed) {
    out(
      '=================================== FAILURES ===================================',
      '___ test_page_lifecycle ___',
      'E   AssertionError: page was not released',
      '=========================== short test summary info ============================',
    );
    out(
      `============================== ${failed} failed, ${total - failed} passed in 0.21s ==============================`,
    );
    return 1;
  }
  out(`============================== ${total} passed in 0.12s ===============================`);
  return 0;
}
