#!/usr/bin/env node
// The checklist runner (issue 3): 8 checks of 1 s each at concurrency 4 (target < 2.5 s wall)
// and 100 instant `file` checks (target < 0.5 s). The targets are judged on the runner itself,
// timed in-process through the built code (dist/); the same checklists are also timed end to
// end through the binary, whose extra is the tool's start-up (shown apart: `plan validate`
// loads the same plan and exits). References in the same run: `xargs -P4 sleep 1` and bare
// `node -e 0`. Needs the build (`npx tsc -p .`). Not part of the tests.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const bin = fileURLToPath(new URL('../bin/gnr-migrate.js', import.meta.url));
const { runChecklist } = await import(dist('checklists/index.js'));
const { runProcess } = await import(dist('core/process.js'));
const { systemClock } = await import(dist('core/clock.js'));
const { workspaceAt } = await import(dist('core/workspace.js'));
const { loadPlan } = await import(dist('plan/index.js'));
const rounds = Number(process.env.ROUNDS ?? 3);
const root = mkdtempSync(join(tmpdir(), 'gnrm-bench-checks-'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (n) => `${n.toFixed(0).padStart(6)} ms`;

function build() {
  mkdirSync(join(root, 'migration'));
  mkdirSync(join(root, 'files'));
  for (let i = 0; i < 100; i++) writeFileSync(join(root, 'files', `f${i}.conf`), `port=${40000 + i}\n`);
  const sleeps = Array.from({ length: 8 }, (_, i) => `      - { id: sleep${i}, run: [sleep, "1"] }`);
  const files = Array.from(
    { length: 100 },
    (_, i) => `      - { id: file${i}, file: files/f${i}.conf${i % 2 ? ', contains: "^port="' : ''} }`,
  );
  writeFileSync(
    join(root, 'migration', 'plan.yaml'),
    `version: 1
project: bench
path: [0, 3]
phases:
  - id: 0
    checks:
${sleeps.join('\n')}
  - id: 3
    checks:
${files.join('\n')}
`,
  );
}

/** Wall time of one in-process checklist run through the built runner. */
async function inProcess(plan, phaseId, concurrency) {
  const phase = plan.phases.find((p) => p.id === phaseId);
  const started = performance.now();
  const outcome = await runChecklist(
    phase.checks,
    {
      ws: workspaceAt(root),
      plan,
      phase,
      state: { version: 1, current: null, planHash: null, runs: [] },
      mode: 'check',
      runner: runProcess,
      clock: systemClock,
      processEnv: process.env,
      acks: new Set(),
    },
    { concurrency },
  );
  const wall = performance.now() - started;
  if (!outcome.passed)
    throw new Error(`phase ${phaseId}: ${outcome.blocking.map((r) => r.reason).join('; ')}`);
  return wall;
}

function spawnTimed(file, args, options = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(file, args, {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, NO_COLOR: '1' },
    ...options,
  });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const cli = (phase) => spawnTimed(process.execPath, [bin, 'check', '--phase', String(phase), '--json']);
const xargsSleep = () =>
  spawnTimed('sh', ['-c', 'printf "1\\n1\\n1\\n1\\n1\\n1\\n1\\n1\\n" | xargs -P4 -n1 sleep']);
const nodeBare = () => spawnTimed(process.execPath, ['-e', '0']);
const startup = () => spawnTimed(process.execPath, [bin, 'plan', 'validate']);

try {
  build();
  const plan = await loadPlan({ workspace: workspaceAt(root), processEnv: process.env });
  // Warm the page cache and the module cache.
  cli(3);
  nodeBare();
  await inProcess(plan, 3, 4);

  const t = { sleepIn: [], sleepCli: [], xargs: [], filesIn: [], filesCli: [], node: [], startup: [] };
  // Interleaved round by round, so drift on a shared machine hits every case alike.
  for (let i = 0; i < rounds; i++) {
    t.sleepIn.push(await inProcess(plan, 0, 4));
    t.sleepCli.push(cli(0));
    t.xargs.push(xargsSleep());
    t.filesIn.push(await inProcess(plan, 3, 4));
    t.filesCli.push(cli(3));
    t.node.push(nodeBare());
    t.startup.push(startup());
  }
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
  const verdict = (value, target) =>
    value < target ? `ok (target < ${target} ms)` : `OVER target ${target} ms`;
  const row = (name, value, base, note = '') =>
    console.log(`  ${name.padEnd(36)} ${ms(value)}  ${(value / base).toFixed(2).padStart(5)}×  ${note}`);
  console.log(`checklist runner, median of ${rounds} rounds (node ${process.version})`);
  console.log('8 × `sleep 1` at concurrency 4');
  row('xargs -P4 sleep 1 (reference)', m.xargs, m.xargs);
  row('runChecklist (dist, in-process)', m.sleepIn, m.xargs, verdict(m.sleepIn, 2500));
  row(
    'gnr-migrate check (binary)',
    m.sleepCli,
    m.xargs,
    `start-up + ${(m.sleepCli - m.startup).toFixed(0)} ms`,
  );
  console.log('100 instant `file` checks (half with `contains`) at concurrency 4');
  row('node -e 0 (reference)', m.node, m.node);
  row('runChecklist (dist, in-process)', m.filesIn, m.node, verdict(m.filesIn, 500));
  row(
    'gnr-migrate check (binary)',
    m.filesCli,
    m.node,
    `start-up + ${(m.filesCli - m.startup).toFixed(0)} ms`,
  );
  row('gnr-migrate plan validate (start-up)', m.startup, m.node);
  if (m.sleepIn >= 2500 || m.filesIn >= 500) process.exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
