#!/usr/bin/env node
// `gate` on a workspace with history: 200 runs in the ledger and 50 backups (issue 6).
// Target: `gate` without --deep answers in under 1 s. Timed against `node -e 0` in the same run,
// interleaved round by round. Needs the build (`npm run build`). Not part of the tests.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/gnr-migrate.js', import.meta.url));
const { createBackup } = await import(new URL('../dist/backup/create.js', import.meta.url).href);
const { workspaceAt } = await import(new URL('../dist/core/workspace.js', import.meta.url).href);
const rounds = Number(process.env.ROUNDS ?? 15);
const root = mkdtempSync(join(tmpdir(), 'gnrm-bench-gate-'));

/** Two systems of 200 small files each; 25 backups of each (50), the last two recorded by the ledger. */
async function build() {
  const systems = ['conf', 'data'];
  for (const name of systems) {
    for (let d = 0; d < 10; d++) {
      const dir = join(root, 'sys', name, `d${d}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 20; f++) writeFileSync(join(dir, `f${f}.txt`), `${name} ${d} ${f}\n`.repeat(40));
    }
  }
  mkdirSync(join(root, 'migration', 'rollback'), { recursive: true });
  writeFileSync(
    join(root, 'migration', 'plan.yaml'),
    `version: 1
project: bench
systems:
  conf: { path: "${root}/sys/conf" }
  data: { path: "${root}/sys/data" }
path: [0, 3]
phases:
  - id: 0
    backup: [conf, data]
    checks: [{ id: conf, file: "${root}/sys/conf/d0/f0.txt" }]
    verify:
      - { id: conf, file: "${root}/sys/conf/d0/f0.txt", contains: "conf" }
      - { id: data, file: "${root}/sys/data/d0/f0.txt" }
  - { id: 3, backup: [conf] }
`,
  );
  const ws = workspaceAt(root);
  const ids = [];
  for (let i = 0; i < 25; i++) {
    for (const name of systems) {
      const info = await createBackup({
        ws,
        system: { name, path: join(root, 'sys', name), exclude: [] },
        phase: 0,
        runId: `r${i}`,
      });
      ids.push(info.id);
    }
  }
  // 199 earlier runs (applied, rolled back, failed), then the run that applied phase 0 now.
  const runs = [];
  const at = (n) => new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString();
  for (let i = 0; i < 199; i++) {
    const rollback = i % 3 === 1;
    runs.push({
      id: `run-${i}`,
      kind: rollback ? 'rollback' : 'phase',
      phase: 0,
      from: rollback ? 0 : null,
      to: rollback ? null : 0,
      status: i % 3 === 2 ? 'failed' : 'succeeded',
      startedAt: at(i),
      endedAt: at(i + 0.5),
      host: hostname(),
      user: 'bench',
      pid: 1,
      steps: Array.from({ length: 5 }, (_, s) => ({
        id: `s${s}`,
        stage: 'step',
        status: 'succeeded',
        startedAt: at(i),
      })),
      backups: rollback ? [] : ids.slice(0, 2),
      // A failed run is settled by the rollback that follows it.
      ...(i % 3 === 2 ? { settledBy: `run-${i + 1}` } : {}),
    });
  }
  runs.push({ ...runs[0], id: 'run-199', status: 'succeeded', startedAt: at(199), backups: ids.slice(-2) });
  writeFileSync(
    join(root, 'migration', 'state.json'),
    JSON.stringify({ version: 1, current: 0, planHash: null, runs }, null, 2),
  );
  writeFileSync(join(root, 'migration', 'rollback', 'phase-0.md'), '# Rollback of phase 0\n');
  writeFileSync(
    join(root, 'new.json'),
    JSON.stringify({ error_rate: 0.01, latency_p95: 100, throughput: 1000 }),
  );
  writeFileSync(join(root, 'old.json'), JSON.stringify({ latency_p95: 100, throughput: 1000 }));
  return ids.length;
}

/**
 * Wall time, and the child's CPU time (user + system, from the kernel's count of waited-for
 * children in /proc/self/stat): on a shared, busy machine the wall time of every case swells,
 * while the CPU time still says what the command itself costs.
 */
function childCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime + cstime, USER_HZ = 100
  } catch {
    return Number.NaN;
  }
}

function time(args) {
  const cpu0 = childCpuMs();
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '' },
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wall, cpu: childCpuMs() - cpu0 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

try {
  const backups = await build();
  const cases = [
    { name: 'node -e 0', args: ['-e', '0'] },
    // Start-up plus reading the plan and the ledger: what any command pays before its own work.
    { name: 'gnr-migrate status', args: [bin, 'status'] },
    { name: 'gnr-migrate gate', args: [bin, 'gate'], targetMs: 1000 },
    {
      name: 'gnr-migrate gate --metrics --baseline',
      args: [bin, 'gate', '--metrics', 'new.json', '--baseline', 'old.json'],
    },
    { name: 'gnr-migrate gate --deep', args: [bin, 'gate', '--deep'] },
  ];
  for (const c of cases) for (let i = 0; i < 2; i++) time(c.args); // warm the page cache
  const samples = new Map(cases.map((c) => [c.name, { wall: [], cpu: [] }]));
  for (let i = 0; i < rounds; i++)
    for (const c of cases) {
      const t = time(c.args);
      samples.get(c.name).wall.push(t.wall);
      samples.get(c.name).cpu.push(t.cpu);
    }
  const base = samples.get('node -e 0');
  const baseWall = median(base.wall);
  const baseCpu = median(base.cpu);
  console.log(
    `gate on 200 ledger runs and ${backups} backups (400 files each system), median of ${rounds} runs (node ${process.version})`,
  );
  console.log(
    `  ${''.padEnd(40)} ${'wall'.padStart(10)} ${'ratio'.padStart(7)} ${'cpu'.padStart(10)} ${'ratio'.padStart(7)}`,
  );
  let over = false;
  for (const c of cases) {
    const wall = median(samples.get(c.name).wall);
    const cpu = median(samples.get(c.name).cpu);
    const verdict = c.targetMs
      ? wall < c.targetMs
        ? `ok (target < ${c.targetMs} ms)`
        : `OVER target ${c.targetMs} ms`
      : '';
    if (c.targetMs && wall >= c.targetMs) over = true;
    console.log(
      `  ${c.name.padEnd(40)} ${wall.toFixed(0).padStart(7)} ms ${(wall / baseWall).toFixed(2).padStart(6)}× ${cpu.toFixed(0).padStart(7)} ms ${(cpu / baseCpu).toFixed(2).padStart(6)}×  ${verdict}`,
    );
  }
  process.exitCode = over ? 1 : 0;
} finally {
  if (process.env.KEEP) console.log(`workspace kept: ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
