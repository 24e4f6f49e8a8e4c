#!/usr/bin/env node
// Ledger and bookkeeping overhead of `phase` (issue 5): a phase of 50 no-op steps (`true`)
// against the same 50 spawns from a bare Node loop, in one run. Target: < 10 ms added per step.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/gnr-migrate.js', import.meta.url));
const rounds = Number(process.env.ROUNDS ?? 5);
const steps = 50;

function planWith(n) {
  const lines = [
    'version: 1',
    'project: bench',
    'path: [0]',
    'phases:',
    '  - id: 0',
    '    title: no-op steps',
    '    steps:',
  ];
  for (let i = 0; i < n; i++) lines.push(`      - { id: s${i}, run: ["true"] }`);
  if (n === 0) lines[lines.length - 1] = '    steps: []';
  return `${lines.join('\n')}\n`;
}

function timePhase(n) {
  const ws = mkdtempSync(join(tmpdir(), 'gnrm-bench-phase-'));
  try {
    mkdirSync(join(ws, 'migration'));
    writeFileSync(join(ws, 'migration', 'plan.yaml'), planWith(n));
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, 'phase', '0', '--yes'], {
      cwd: ws,
      stdio: 'ignore',
      env: { ...process.env, CI: '1' },
    });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`phase exited ${r.status}`);
    // The time inside the steps as the ledger recorded it (spawn to exit of each `true`).
    const state = JSON.parse(readFileSync(join(ws, 'migration', 'state.json'), 'utf8'));
    const inSteps = state.runs[0].steps
      .filter((s) => s.stage === 'step')
      .reduce((sum, s) => sum + s.durationMs, 0);
    return { ms, inSteps };
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

async function timeBareSpawns(n) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    await new Promise((resolve, reject) => {
      const c = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      c.on('error', reject);
      c.on('close', resolve);
    });
  }
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const full = [];
const empty = [];
const bare = [];
const added = [];
for (let i = 0; i < rounds; i++) {
  const e = timePhase(0);
  const f = timePhase(steps);
  empty.push(e.ms);
  full.push(f.ms);
  // Beyond running the steps: the phase's extra time for 50 steps, less the steps' own time.
  added.push((f.ms - e.ms - f.inSteps) / steps);
  bare.push(await timeBareSpawns(steps));
}
const perStepTool = (median(full) - median(empty)) / steps;
const perStepBare = median(bare) / steps;
const overhead = median(added);
const say = (line) => console.log(line);
say(`phase of ${steps} no-op steps, median of ${rounds} rounds`);
say(
  `  phase 0 with 0 steps            ${median(empty).toFixed(0).padStart(6)} ms (start-up, lock, ledger, runbook)`,
);
say(`  phase 0 with ${steps} steps           ${median(full).toFixed(0).padStart(6)} ms`);
say(`  bare node: ${steps} spawns of true    ${median(bare).toFixed(0).padStart(6)} ms`);
say(
  `  per step: ${perStepTool.toFixed(1)} ms in the tool, ${perStepBare.toFixed(1)} ms for a bare spawn (${(perStepTool / perStepBare).toFixed(2)}x)`,
);
say(
  `  added per step beyond running it (3 ledger writes: start, process group, end; log, progress): ${overhead.toFixed(1)} ms — ${overhead < 10 ? 'ok' : 'OVER'} (target < 10 ms)`,
);
say('  (spawning from the tool costs more than from a bare loop: fork of a larger process)');

// The runner's own bookkeeping, in process and without any spawn (issue 12): the phase
// executor with a runner that returns at once, so what is measured is the run plan, the
// ledger writes (step started, process group, step ended), the log path and the stages.
const { applyPhase } = await import('../dist/phases/apply.js');
const { loadPlan } = await import('../dist/plan/index.js');
const { workspaceAt } = await import('../dist/core/workspace.js');
const { systemClock } = await import('../dist/core/clock.js');
const { silentReporter } = await import('../dist/phases/reporter.js');
const { diskBackupStore } = await import('../dist/phases/definitions.js');
const { createOutput } = await import('../dist/ui/output.js');
const { PassThrough } = await import('node:stream');
const instant = async (req) => {
  req.onSpawn?.(2 ** 22 + 1);
  return {
    exitCode: 0,
    signal: null,
    timedOut: false,
    aborted: false,
    durationMs: 0,
    stdout: '',
    stderr: '',
    tail: '',
  };
};
async function inProcess(n) {
  const root = mkdtempSync(join(tmpdir(), 'gnrm-bench-runner-'));
  try {
    mkdirSync(join(root, 'migration'));
    writeFileSync(join(root, 'migration', 'plan.yaml'), planWith(n));
    const ws = workspaceAt(root);
    const plan = await loadPlan({ workspace: ws, processEnv: { GNR_MIGRATE_CACHE: '0' } });
    const out = createOutput({ stdout: new PassThrough(), stderr: new PassThrough() }, {}, true);
    const t = process.hrtime.bigint();
    const deps = {
      plan,
      runner: instant,
      clock: systemClock,
      out,
      reporter: silentReporter,
      backups: diskBackupStore,
      processEnv: {},
      signal: new AbortController().signal,
      commandLine: 'bench',
      events: {},
      toolVersion: 'bench',
    };
    const r = await applyPhase(deps, ws, 0, { yes: true, concurrency: 4 });
    if (r.exitCode !== 0) throw new Error(r.message);
    return Number(process.hrtime.bigint() - t) / 1e6;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
const inner = [];
for (let i = 0; i < rounds; i++) inner.push(((await inProcess(steps)) - (await inProcess(0))) / steps);
const perStepInner = median(inner);
say(
  `  in process, no spawn: ${perStepInner.toFixed(2)} ms per step of the runner's own work (3 ledger writes, 2 with a folder fsync) — ${perStepInner < 10 ? 'ok' : 'OVER'} (target < 10 ms)`,
);
