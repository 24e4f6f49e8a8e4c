#!/usr/bin/env node
// Backups at scale (issue 13): every backup operation of the CLI against the system tool that
// does the same job, with wall time and peak RSS each (`/usr/bin/time -f '%e %M'`), at 200k and
// 1M files (0.5–4 KB each, 40 to a folder), interleaved in one run; prints the ratios and the
// growth from the smaller tree to the larger. Not part of the tests:
//   npm run build && nice npm run bench:backup-scale
// SIZES (default "200000,1000000"), BENCH_DIR (default: the system temp folder; 1M files need
// ~5 GB there: check `df -h`). Everything made is removed at the end, pass or fail.
//
// Cases, per size, in this order (PERF-NOTES: copies go into fresh folders, nothing big is
// deleted before the end, a `sync` before each):
//   cp -a            | backup create (full)       → ratio full / cp
//   sha256sum of the backup's files | backup verify → verify / sha256sum (time ratio)
//   backup create again, nothing changed          → ratio to the full backup
//   find -printf & cp -al of the backup's data/     → the floor of that ratio, and of the next:
//                                                     any backup that links every file does both
//   1 % of files changed, 1 % added, 1 % deleted:
//   rsync -a --link-dest=<cp copy> | backup create (incremental)
//   cp -a of a backup's data/ | backup restore --to a fresh folder
//   backup prune --keep 1
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sizes = (process.env.SIZES ?? '200000,1000000').split(',').map(Number);
const perFolder = 40;
const bin = fileURLToPath(new URL('../bin/gnr-migrate.js', import.meta.url));
const base = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'gnrm-scale-'));

function makeTree(root, n) {
  const pool = randomBytes(8192);
  let bytes = 0;
  for (let d = 0; d * perFolder < n; d++) {
    const dir = join(root, `d${d % 100}`, `f${d}`);
    mkdirSync(dir, { recursive: true });
    for (let i = d * perFolder; i < Math.min(n, (d + 1) * perFolder); i++) {
      const size = 512 + ((i * 2654435761) % 3585);
      const off = (i * 7919) % 4096;
      writeFileSync(join(dir, `file-${i}.dat`), pool.subarray(off, off + size));
      bytes += size;
    }
  }
  return bytes;
}

/** 1 % changed (same size, new bytes), 1 % added, 1 % deleted. */
function churn(root, n) {
  const step = 100;
  for (let i = 0; i < n; i += step) {
    const d = Math.floor(i / perFolder);
    const dir = join(root, `d${d % 100}`, `f${d}`);
    writeFileSync(join(dir, `file-${i}.dat`), randomBytes(512 + ((i * 2654435761) % 3585)));
    unlinkSync(join(dir, `file-${i + 1}.dat`));
    writeFileSync(join(dir, `new-${i}.dat`), randomBytes(1024));
  }
}

/** Wall seconds and peak RSS (MB) of one command, after a sync. */
function measure(label, cmd, args, opts = {}) {
  spawnSync('sync');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    ...opts,
  });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, kb] = last.split(' ').map(Number);
  if (r.status !== 0) throw new Error(`${label}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
  const row = { label, wall, rssMB: Math.round(kb / 1024), load: loadavg()[0].toFixed(1) };
  console.log(
    `  ${label.padEnd(34)} ${wall.toFixed(2).padStart(8)} s ${String(row.rssMB).padStart(6)} MB   load ${row.load}`,
  );
  return row;
}

// Run as an operator runs it: the program itself, whose first line gives node its flags.
const cli = (ws, ...args) => ['--cwd', ws, ...args];
const lastId = (ws) =>
  readdirSync(join(ws, 'backups'))
    .filter((n) => /^site_/.test(n))
    .sort()
    .pop();

const results = new Map();
try {
  console.log(
    `backup at scale in ${base}; ${new Date().toISOString()}; load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const n of sizes) {
    const dir = join(base, String(n));
    const src = join(dir, 'src');
    const ws = join(dir, 'ws');
    mkdirSync(join(ws, 'migration'), { recursive: true });
    writeFileSync(
      join(ws, 'migration', 'plan.yaml'),
      `version: 1\nproject: bench\nsystems:\n  site: { path: ${JSON.stringify(src)} }\npath: [0]\nphases:\n  - id: 0\n    title: zero\n    backup: [site]\n`,
    );
    const t0 = Date.now();
    const bytes = makeTree(src, n);
    console.log(
      `\n${n} files, ${(bytes / 2 ** 20).toFixed(0)} MiB, made in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    const r = {};
    r.cp = measure('cp -a', 'cp', ['-a', src, join(dir, 'cp')]);
    r.full = measure('backup create (full)', bin, cli(ws, 'backup', 'create'));
    const fullId = lastId(ws);
    // The files verify reads: the backup's, not the source's, whose page cache cp and the
    // backup have left in another state (this disk made the two differ by 1.4x).
    r.sha = measure('sha256sum (find | xargs)', 'sh', [
      '-c',
      `find "${join(ws, 'backups', fullId, 'data')}" -type f -print0 | xargs -0 sha256sum > /dev/null`,
    ]);
    r.verify = measure('backup verify', bin, cli(ws, 'backup', 'verify', fullId));
    r.same = measure('backup create (unchanged)', bin, cli(ws, 'backup', 'create'));
    // What any unchanged backup that keeps its own data/ must do at least: stat every source
    // file (find, as the tool lists it) and link every file of the previous one (cp -al), the
    // two at once as the tool runs them.
    r.floor = measure('find -printf & cp -al (floor)', 'sh', [
      '-c',
      `find "${src}" -printf '%y %s %T@ %C@ %m %U %G %n %D %i\\0%P\\0%l\\0' > /dev/null & cp -al "${join(ws, 'backups', fullId, 'data')}" "${join(dir, 'floor')}"; wait`,
    ]);
    churn(src, n);
    r.rsync = measure('rsync -a --link-dest (1% churn)', 'rsync', [
      '-a',
      `--link-dest=${join(dir, 'cp')}`,
      `${src}/`,
      join(dir, 'rsync'),
    ]);
    r.incr = measure('backup create (1% churn)', bin, cli(ws, 'backup', 'create'));
    const incrId = lastId(ws);
    r.cpRestore = measure('cp -a (of a backup data/)', 'cp', [
      '-a',
      join(ws, 'backups', incrId, 'data'),
      join(dir, 'cp2'),
    ]);
    r.restore = measure(
      'backup restore --to',
      bin,
      cli(ws, 'backup', 'restore', incrId, '--to', join(dir, 'restored'), '--yes'),
    );
    r.prune = measure('backup prune --keep 1', bin, cli(ws, 'backup', 'prune', '--keep', '1'));
    results.set(n, r);
    const x = (a, b) => (a / b).toFixed(2);
    console.log(
      `  ratios: full/cp ${x(r.full.wall, r.cp.wall)} (target ≤ 1.25) · restore/cp ${x(r.restore.wall, r.cpRestore.wall)} (≤ 1.25) · verify/sha256sum ${x(r.verify.wall, r.sha.wall)} (≤ 1) · incremental/rsync ${x(r.incr.wall, r.rsync.wall)} (≤ 0.5; find & cp -al alone, ${x(r.floor.wall, r.rsync.wall)}) · unchanged/full ${x(r.same.wall, r.full.wall)} (≤ 0.1; its floor, find & cp -al, ${x(r.floor.wall, r.full.wall)})`,
    );
    console.log(
      `  peak RSS of ours: ${['full', 'verify', 'same', 'incr', 'restore', 'prune'].map((k) => `${k} ${r[k].rssMB} MB`).join(' · ')} (target ≤ 200)`,
    );
  }
  if (sizes.length > 1) {
    const [a, b] = [results.get(sizes[0]), results.get(sizes[sizes.length - 1])];
    console.log(
      `\ngrowth ${sizes[0]} → ${sizes[sizes.length - 1]} files (×${sizes[sizes.length - 1] / sizes[0]}): wall / peak RSS`,
    );
    for (const k of Object.keys(a))
      console.log(
        `  ${a[k].label.padEnd(34)} ×${(b[k].wall / a[k].wall).toFixed(2).padStart(5)}  ×${(b[k].rssMB / a[k].rssMB).toFixed(2).padStart(5)}`,
      );
  }
} finally {
  spawnSync('chmod', ['-R', 'u+rwX', base]);
  // rm -rf, not Node's recursive rmSync: ~12 GB of small files took it over ten minutes.
  spawnSync('rm', ['-rf', base]);
}
