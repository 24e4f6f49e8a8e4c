import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackupInfo } from '../../src/backup/types.js';
import { InputError, InterruptedError } from '../../src/core/errors.js';
import type { ProcessRequest, ProcessResult } from '../../src/core/process.js';
import { clearSecrets } from '../../src/core/redact.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { appliedPhases, protectedBackups } from '../../src/ledger/run-state.js';
import type { State } from '../../src/ledger/schema.js';
import { readState } from '../../src/ledger/state.js';
import { applyPhase } from '../../src/phases/apply.js';
import type { BackupStore, RunEndEvent } from '../../src/phases/definitions.js';
import { silentReporter } from '../../src/phases/reporter.js';
import { planPhaseRun } from '../../src/phases/run-plan.js';
import { RunSession } from '../../src/phases/session.js';
import type { Plan } from '../../src/plan/types.js';
import { rollbackRun } from '../../src/rollback/execute.js';
import { planRollback } from '../../src/rollback/plan.js';
import { createOutput } from '../../src/ui/output.js';
import { ticking } from '../helpers/clock.js';
import { planFromText } from '../helpers/plan.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The phase runner and the rollback executor with fakes (issue 12 §8): a runner that never
 * spawns, an in-memory backup store, a ticking clock, a silent reporter. Each case runs in
 * milliseconds; the e2e suite keeps the binary-level proofs.
 */

const planText = `version: 1
project: acme
path: [0, 3, 4]
secrets: [token]
vars:
  root: /srv
  fail: "none"
  token: "s3cr3t-value"
systems:
  cfg: { path: "\${root}/cfg" }
phases:
  - id: 0
    title: Zero
    backup: [cfg]
    checks: [ { id: ok, run: [check-ok] } ]
    steps:
      - { id: a, run: [step, a, "\${token}"], undo: { run: [undo, a] } }
      - { id: b, run: [step, b], cwd: sub, undo: { run: [undo, b] } }
      - { id: c, run: [step, c] }
    verify: [ { id: v, run: [verify, "\${fail}"] } ]
    rollback: { steps: [ { id: r, run: [rollback-step] } ] }
  - id: 3
    title: Three
    backup: [cfg]
    steps: [ { id: t, run: [step, t], undo: { run: [undo, t] } } ]
  - id: 4
    title: Four
    backup: [cfg]
    steps: [ { id: f, run: [step, f] } ]
`;

interface Fakes {
  calls: string[][];
  cwds: string[];
  restored: string[];
  events: RunEndEvent[];
  failOn: Set<string>;
  snapshotFails: boolean;
  abortOn?: string;
  controller: AbortController;
}

function fakeRunner(f: Fakes) {
  return async (req: ProcessRequest): Promise<ProcessResult> => {
    const argv = req.argv ?? ['sh', '-c', req.script ?? ''];
    f.calls.push(argv);
    f.cwds.push(req.cwd ?? '');
    req.onSpawn?.(999_999_999);
    const key = argv.join(' ');
    const aborted = f.abortOn !== undefined && key === f.abortOn;
    if (aborted) f.controller.abort(new Error('SIGINT'));
    const failed = [...f.failOn].some((k) => key === k);
    return {
      exitCode: aborted ? null : failed ? 1 : 0,
      signal: aborted ? 'SIGTERM' : null,
      timedOut: false,
      aborted,
      durationMs: 1,
      stdout: '',
      stderr: '',
      tail: failed ? 'boom\n' : '',
    };
  };
}

function fakeStore(f: Fakes): BackupStore {
  const made = new Map<string, BackupInfo>();
  let n = 0;
  return {
    create: async (opts) => {
      if (f.snapshotFails && opts.runId?.includes('rollback'))
        throw new Error('ENOSPC: no space left on device');
      n++;
      const id = `${opts.system.name}_20261122-1015${String(n).padStart(2, '0')}`;
      const info: BackupInfo = {
        id,
        system: opts.system.name,
        dir: join(opts.ws.backupsDir, id),
        source: opts.system.path,
        sourceType: 'dir',
        phase: opts.phase ?? null,
        runId: opts.runId ?? null,
        createdAt: new Date().toISOString(),
        files: 1,
        bytes: 1,
        manifestHash: 'x',
      };
      made.set(id, info);
      return info;
    },
    read: async (_ws, id) => {
      const info = made.get(id);
      if (!info) throw new InputError(`no backup ${id}`);
      return info;
    },
    verify: (async (_ws: unknown, id: string) => ({ ok: made.has(id), problems: [], files: 1, id })) as never,
    restore: (async (opts: { id: string }) => {
      f.restored.push(opts.id);
      return {} as never;
    }) as never,
  };
}

function setup(planOverride?: Plan) {
  const root = tempDir('gnrm-runner-');
  mkdirSync(join(root, 'migration'));
  const ws = workspaceAt(root);
  const plan = planOverride ?? planFromText(planText);
  const f: Fakes = {
    calls: [],
    cwds: [],
    restored: [],
    events: [],
    failOn: new Set(),
    snapshotFails: false,
    controller: new AbortController(),
  };
  const streams = { stdout: new PassThrough(), stderr: new PassThrough() };
  const out = createOutput(streams, {}, true);
  const store = fakeStore(f);
  const deps = () => ({
    plan,
    runner: fakeRunner(f),
    clock: ticking(),
    out,
    reporter: silentReporter,
    backups: store,
    processEnv: {},
    signal: f.controller.signal,
    commandLine: 'gnr-migrate phase',
    events: { onRunEnd: (e: RunEndEvent) => void f.events.push(e) },
    toolVersion: '0.0.0-test',
  });
  const apply = (id: number, opts: Record<string, unknown> = {}) =>
    applyPhase(deps(), ws, id, { concurrency: 1, yes: true, ...opts });
  return { ws, plan, f, store, out, apply, deps };
}

afterEach(() => clearSecrets());

describe('phase runner with fakes', () => {
  it('applies: checklist, backup, steps with workspace-relative cwd, verify; the run-end event', async () => {
    const { ws, f, apply } = setup();
    const r = await apply(0);
    expect(r.exitCode).toBe(0);
    expect(f.calls.map((c) => c.join(' '))).toEqual([
      'check-ok',
      'step a s3cr3t-value',
      'step b',
      'step c',
      'verify none',
    ]);
    expect(f.cwds[2]).toBe(join(ws.root, 'sub'));
    expect(f.cwds[1]).toBe(ws.root);
    const state = await readState(ws);
    expect(state.current).toBe(0);
    expect(state.runs[0]).toMatchObject({
      status: 'succeeded',
      safetyNet: true,
      inputs: { toolVersion: '0.0.0-test' },
    });
    expect(f.events.map((e) => [e.kind, e.outcome])).toEqual([['phase', 'succeeded']]);
  });

  it('never writes a secret var in clear: ledger, runbook, and the run inputs show ***', async () => {
    const { ws, apply } = setup();
    await apply(0);
    const ledger = readFileSync(ws.stateFile, 'utf8');
    expect(ledger).not.toContain('s3cr3t-value');
    expect(ledger).toContain('"token": "***"');
    expect(readFileSync(join(ws.rollbackDir, 'phase-0.md'), 'utf8')).not.toContain('s3cr3t-value');
  });

  it('a failing verify rolls back: undo newest first, rollback step, restore; current stays where it was', async () => {
    const { ws, f, apply } = setup();
    f.failOn.add('verify none');
    const r = await apply(0);
    expect(r).toMatchObject({ exitCode: 1, status: 'rolled-back' });
    const after = f.calls.map((c) => c.join(' ')).slice(5);
    expect(after).toEqual(['undo b', 'undo a', 'rollback-step']);
    expect(f.restored).toEqual([expect.stringMatching(/^cfg_/)]);
    expect((await readState(ws)).current).toBeNull();
    expect(f.events.map((e) => [e.kind, e.outcome])).toEqual([
      ['rollback', 'succeeded'],
      ['phase', 'rolled-back'],
    ]);
    expect(f.events[1]?.rollbackOutcome?.outcome).toBe('succeeded');
  });

  it('a failed `phase 4 --force` from 0 rolls back to 0, not to the skipped phase 3', async () => {
    const { ws, f, apply } = setup();
    await apply(0);
    f.failOn.add('step f');
    const r = await apply(4, { force: true });
    expect(r.status).toBe('rolled-back');
    expect((await readState(ws)).current).toBe(0);
  });

  it('after `phase 4 --force` from 0, phase 3 is not applied and a rollback returns to 0', async () => {
    const { ws, plan, apply } = setup();
    await apply(0);
    await apply(4, { force: true });
    const state = await readState(ws);
    expect([...appliedPhases(plan, state)].sort()).toEqual([0, 4]);
    const [item] = planRollback(plan, state, undefined, undefined);
    expect(item?.target).toBe(0);
  });

  it('an interrupt during a step: exit by InterruptedError, run interrupted, nothing rolled back', async () => {
    const { ws, f, apply } = setup();
    f.abortOn = 'step b';
    await expect(apply(0)).rejects.toBeInstanceOf(InterruptedError);
    const run = (await readState(ws)).runs[0]!;
    expect(run.status).toBe('interrupted');
    expect(f.restored).toEqual([]);
    expect(f.events.map((e) => e.outcome)).toEqual(['interrupted']);
  });

  it('resume skips the completed steps and re-verifies the backups when the safety net was complete', async () => {
    const { ws, f, apply } = setup();
    f.abortOn = 'step b';
    await expect(apply(0)).rejects.toBeInstanceOf(InterruptedError);
    f.abortOn = undefined;
    f.controller = new AbortController();
    f.calls.length = 0;
    const r = await apply(0, { resume: true });
    expect(r.exitCode).toBe(0);
    expect(f.calls.map((c) => c.join(' '))).toEqual(['step b', 'step c', 'verify none']);
    const state = await readState(ws);
    expect(state.runs[0]!.settledBy).toBe(state.runs[1]!.id);
  });

  it('resume re-runs the checklist and backups when the run was cut off before its safety net', async () => {
    const { ws, plan, f, apply } = setup();
    f.abortOn = 'check-ok';
    await expect(apply(0)).rejects.toBeInstanceOf(InterruptedError);
    const runPlan = planPhaseRun(ws, plan, await readState(ws), undefined, 0, {
      allowDeferred: false,
      force: false,
      resume: true,
      autoRollback: true,
      toolVersion: '0.0.0-test',
    });
    expect(runPlan.checklist).toEqual(['ok']);
    expect(runPlan.backups.map((b) => b.system)).toEqual(['cfg']);
    f.abortOn = undefined;
    f.controller = new AbortController();
    f.calls.length = 0;
    const r = await apply(0, { resume: true });
    expect(r.exitCode).toBe(0);
    expect(r.backups).toHaveLength(1);
    expect(f.calls[0]).toEqual(['check-ok']);
  });

  it('resume refuses a plan resolved with other inputs, naming the difference', async () => {
    const { ws, f, apply } = setup();
    f.abortOn = 'step b';
    await expect(apply(0)).rejects.toBeInstanceOf(InterruptedError);
    const other = planFromText(planText, { vars: { fail: 'x' } });
    const session = await RunSession.open(
      ws,
      'test',
      ticking(),
      createOutput({ stdout: new PassThrough(), stderr: new PassThrough() }, {}, true),
    );
    try {
      const runPlan = planPhaseRun(ws, other, session.state, session.lock.info, 0, {
        allowDeferred: false,
        force: false,
        resume: true,
        autoRollback: true,
        toolVersion: '0.0.0-test',
      });
      expect(runPlan.blockedBy.map((b) => b.rule)).toEqual(['inputs']);
      expect(runPlan.blockedBy[0]?.reason).toContain('var fail: "none" → "x"');
    } finally {
      await session.close();
    }
  });

  it('a rollback whose snapshot cannot be made stops before changing anything', async () => {
    // The snapshot is attempted only for a system that exists: point cfg at a real file.
    const dir = tempDir('gnrm-runner-sys-');
    writeFileSync(join(dir, 'cfg'), 'x');
    const local = planFromText(planText.replace('root: /srv', `root: ${dir}`));
    const run = setup(local);
    await run.apply(0);
    run.f.snapshotFails = true;
    run.f.calls.length = 0;
    const session = await RunSession.open(run.ws, 'test', ticking(), run.out);
    try {
      const [item] = planRollback(local, session.state, session.lock.info, undefined);
      const result = await rollbackRun(
        {
          session,
          plan: local,
          runner: fakeRunner(run.f),
          processEnv: {},
          signal: new AbortController().signal,
          reporter: silentReporter,
          concurrency: 1,
          backups: run.store,
          events: {},
          snapshot: true,
        },
        { phase: item!.phase, source: item!.source, target: item!.target, reason: 'test' },
      );
      expect(result.ok).toBe(false);
      expect(result.problem).toMatch(/ENOSPC[\s\S]*--no-snapshot/);
      expect(run.f.calls).toEqual([]);
      expect(run.f.restored).toEqual([]);
      expect(session.state.current).toBe(0);
    } finally {
      await session.close();
    }
  });

  it('prune keeps the backups of a run that failed under --no-auto-rollback', async () => {
    const { ws, f, apply } = setup();
    f.failOn.add('step c');
    const r = await apply(0, { autoRollback: false });
    expect(r.status).toBe('failed');
    const state: State = await readState(ws);
    const keep = protectedBackups(state);
    expect([...keep.keys()]).toEqual(r.backups);
  });
});
