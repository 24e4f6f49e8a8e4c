#!/usr/bin/env node
// The backup engine against the tools it replaces, measured in one run (issue 4). Not part of
// the tests: `npm run build && npm run bench:backup`. ROUNDS (default 5), FILES (20000),
// FOLDERS (1000) and BENCH_DIR (default: the system temp folder) tune it.
//
// Each of ours runs as its own process (`node bench/backup-op.js`, the library without the
// CLI), as `cp -a` does, so Node's start-up is counted; one CLI figure is printed too.
// Each case starts after a `sync`. PERF-NOTES traps: every copy goes into a fresh folder, nothing is deleted until the end (file
// creation right after an `rm -rf` of a big tree is up to 10× slower here), and the cases are
// interleaved round by round so drift hits them alike.
import { execSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.env.ROUNDS ?? 5);
const nFiles = Number(process.env.FILES ?? 20_000);
const nFolders = Number(process.env.FOLDERS ?? 1_000);
const op = fileURLToPath(new URL('./backup-op.js', import.meta.url));
const bin = fileURLToPath(new URL('../bin/gnr-migrate.js', import.meta.url));

function ensureRsync() {
  if (spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status === 0) return;
  console.error('rsync is missing: installing it from the Debian packages…');
  execSync('apt-get update && apt-get install -y rsync', { stdio: 'inherit' });
}

function makeTree(root) {
  // 1–16 KB per file, spread over folders two levels deep (10 × 100 = 1,000 by default).
  const top = Math.max(1, Math.round(Math.sqrt(nFolders) / 3));
  const folders = [];
  for (let i = 0; i < nFolders; i++) {
    const dir = join(root, `d${i % top}`, `sub${i}`);
    mkdirSync(dir, { recursive: true });
    folders.push(dir);
  }
  const pool = randomBytes(16 * 1024 + 4096);
  let bytes = 0;
  for (let i = 0; i < nFiles; i++) {
    const size = 1024 + Math.floor(Math.random() * 15 * 1024);
    const off = Math.floor(Math.random() * 4096);
    writeFileSync(join(folders[i % nFolders], `file-${i}.dat`), pool.subarray(off, off + size));
    bytes += size;
  }
  return bytes;
}

function time(cmd, args, opts = {}) {
  // Written-back first, untimed: otherwise each case pays for the dirty pages of the one
  // before it (166 MiB a copy), and the order of the cases, not their cost, decides.
  spawnSync('sync');
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const sh = (line, opts) => time('/bin/sh', ['-c', line], opts);
const node = (...args) => time(process.execPath, [op, ...args]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Other work on the machine distorts every figure (2 cores): the load is printed with them.
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();

ensureRsync();
const base = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'gnrm-bench-backup-'));
const src = join(base, 'src');
console.log(`building ${nFiles} files in ${nFolders} folders under ${src}…`);
const bytes = makeTree(src);
execSync(`sync`);
// Warm the page cache and the file system, as the measured runs will find them.
sh(`cat $(find ${src} -type f) > /dev/null`);

const samples = {};
const add = (name, ms) => {
  samples[name] ??= [];
  samples[name].push(ms);
};

try {
  for (let r = 0; r < rounds; r++) {
    const d = join(base, `r${r}`);
    mkdirSync(d);
    // rsync --link-dest needs a first full rsync copy to link against.
    add('cp -a', sh(`cp -a ${src} ${d}/cp`));
    add('rsync -a', sh(`rsync -a ${src}/ ${d}/rsync/`));
    add('rsync -a --link-dest', sh(`rsync -a --link-dest=${d}/rsync/ ${src}/ ${d}/rsync-inc/`));
    add('find | xargs sha256sum', sh(`find ${d}/cp -type f -print0 | xargs -0 sha256sum > /dev/null`));
    // Ours: a workspace per round, so the first backup is a full one and the second links.
    const ws = join(d, 'ws');
    add('ours: full backup', node('create', ws, src));
    add('ours: unchanged incremental', node('create', ws, src));
    add('ours: verify (deep)', node('verify', ws));
    add('ours: restore', node('restore', ws, join(d, 'restored')));
    if (r === 0) {
      // The whole CLI once, for scale: plan, lock, ledger and start-up on top of the engine.
      mkdirSync(join(d, 'cli', 'migration'), { recursive: true });
      writeFileSync(
        join(d, 'cli', 'migration', 'plan.yaml'),
        `version: 1\nproject: bench\nsystems:\n  tree: { path: "${src}" }\npath: [0]\nphases:\n  - id: 0\n    title: bench\n`,
      );
      const cli = (args) => time(process.execPath, [bin, ...args], { cwd: join(d, 'cli') });
      console.log(
        `CLI (once): backup create ${cli(['backup', 'create']).toFixed(0)} ms, ` +
          `unchanged again ${cli(['backup', 'create']).toFixed(0)} ms, verify ${cli(['backup', 'verify']).toFixed(0)} ms`,
      );
    }
  }

  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  console.log(
    `\n${nFiles} files, ${(bytes / 1048576).toFixed(0)} MiB in ${nFolders} folders; median of ${rounds} rounds (node ${process.version})` +
      `\nload average (1, 5, 15 min) before: ${loadBefore}, after: ${load()}\n`,
  );
  // The fastest round too: the shared machine's noise only ever adds time, so the ratio of
  // the fastest rounds says the most about the code; the verdict stays on the medians.
  const best = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.min(...v)]));
  const row = (name, ref, target, note) => {
    const ratio = ref ? m[name] / m[ref] : undefined;
    const verdict = target === undefined ? '' : target(ratio) ? '  ok' : '  MISSED';
    console.log(
      `${name.padEnd(30)} ${m[name].toFixed(0).padStart(7)} ms (fastest ${best[name].toFixed(0).padStart(5)})` +
        (ref
          ? `   ${ratio.toFixed(2)}× ${ref}${note ? ` (${note})` : ''}${verdict}; fastest ${(best[name] / best[ref]).toFixed(2)}×`
          : ''),
    );
  };
  row('cp -a');
  row('rsync -a', 'cp -a');
  row('rsync -a --link-dest', 'cp -a');
  row('find | xargs sha256sum');
  row('ours: full backup', 'cp -a', (x) => x <= 1.25, 'target ≤ 1.25');
  row('ours: unchanged incremental', 'ours: full backup', (x) => x <= 0.25, 'target ≤ 0.25');
  row('ours: unchanged incremental', 'rsync -a --link-dest', (x) => x < 1, 'target < 1');
  row(
    'ours: verify (deep)',
    'find | xargs sha256sum',
    (x) => 1 / x >= 0.8,
    `throughput ${(m['find | xargs sha256sum'] / m['ours: verify (deep)']).toFixed(2)}×, target ≥ 0.8`,
  );
  row('ours: restore', 'cp -a');
} finally {
  console.log(`\nremoving ${base}…`);
  execSync(`rm -rf ${JSON.stringify(base)}`);
}
