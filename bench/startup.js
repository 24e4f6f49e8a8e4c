#!/usr/bin/env node
// Start-up cost of gnr-migrate against bare `node -e 0`, measured in one run (issue 2).
// Targets: `--version` within 1.5×, `status` within 2.5× of `node -e 0`. Not part of the tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/gnr-migrate.js', import.meta.url));
const rounds = Number(process.env.ROUNDS ?? 30);
const workspace = mkdtempSync(join(tmpdir(), 'gnrm-bench-startup-'));

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'gnr-migrate --version', args: [bin, '--version'], target: 1.5 },
  { name: 'gnr-migrate status', args: [bin, 'status'], target: 2.5 },
  { name: 'gnr-migrate plan validate', args: [bin, 'plan', 'validate'] },
  // Every run parses the YAML again: the first run after an edit of the plan.
  { name: 'status, plan cache off', args: [bin, 'status'], env: { GNR_MIGRATE_CACHE: '0' } },
];

function time(args, env = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: workspace,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

try {
  for (const c of cases) for (let i = 0; i < 3; i++) time(c.args, c.env); // warm the page cache
  // Interleave the cases round by round so drift on a shared machine hits them alike.
  const samples = new Map(cases.map((c) => [c.name, []]));
  for (let i = 0; i < rounds; i++) for (const c of cases) samples.get(c.name).push(time(c.args, c.env));
  const base = median(samples.get('node -e 0'));
  console.log(`start-up, median of ${rounds} runs (node ${process.version})`);
  for (const c of cases) {
    const m = median(samples.get(c.name));
    const ratio = m / base;
    const verdict = c.target
      ? ratio <= c.target
        ? `ok (target ≤ ${c.target}×)`
        : `OVER target ${c.target}×`
      : '';
    console.log(`  ${c.name.padEnd(28)} ${m.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}×  ${verdict}`);
  }
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
