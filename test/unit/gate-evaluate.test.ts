import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackupInfo, VerifyReport } from '../../src/backup/types.js';
import type { ChecklistContext, CheckResult } from '../../src/checklists/types.js';
import { InputError } from '../../src/core/errors.js';
import { currentHost } from '../../src/core/host.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { evaluateGate, type GateDeps, type GateOptions } from '../../src/gate/evaluate.js';
import type { Run, State } from '../../src/ledger/schema.js';
import { loadPlan } from '../../src/plan/index.js';
import type { Check } from '../../src/plan/types.js';
import { tempDir } from '../helpers/tmp.js';

/** A workspace with a two-phase plan; the checklist and backups are fakes (the gate's deps). */
function setup() {
  const root = tempDir();
  const ws = workspaceAt(root);
  mkdirSync(ws.migrationDir, { recursive: true });
  writeFileSync(
    ws.planFile,
    `version: 1
project: acme
systems:
  conf: { path: "${root}/conf" }
  data: { path: "${root}/data" }
path: [0, 3]
phases:
  - id: 0
    backup: [conf, data]
    checks: [{ id: conf_exists, file: "${root}/conf" }]
    verify: [{ id: marker, file: "${root}/conf/marker" }]
  - id: 3
    backup: [conf]
    checks: [{ id: conf_exists, file: "${root}/conf" }, { id: soft, file: "${root}/x", severity: warn }]
`,
  );
  const backups: BackupInfo[] = ['conf_20261122-101500', 'data_20261122-101500'].map((id) => ({
    id,
    system: id.split('_')[0]!,
    dir: join(ws.backupsDir, id),
    source: '/x',
    sourceType: 'dir',
    phase: 0,
    runId: 'r1',
    createdAt: '2026-11-22T10:15:00Z',
    files: 3,
    bytes: 300,
    manifestHash: 'abc',
  }));
  const reports = new Map<string, VerifyReport>();
  const seen: { mode?: string; checks?: string[]; deep?: boolean[] } = { deep: [] };
  const statusOf = new Map<string, CheckResult['status']>();
  const deps: GateDeps = {
    async runChecklist(checks: Check[], ctx: ChecklistContext) {
      seen.mode = ctx.mode;
      seen.checks = checks.map((c) => c.id);
      const results: CheckResult[] = checks.map((c) => {
        const status = statusOf.get(c.id) ?? 'pass';
        return {
          id: c.id,
          title: c.title,
          kind: c.kind,
          severity: c.severity,
          status,
          blocking: status !== 'pass' && status !== 'pending' && c.severity === 'block',
          durationMs: 1,
          reason: `${c.id}: ${status}`,
        };
      });
      return {
        results,
        passed: results.every((r) => !r.blocking),
        blocking: results.filter((r) => r.blocking),
        pending: [],
      };
    },
    async readBackup(_ws, id) {
      const info = backups.find((b) => b.id === id);
      if (!info) throw new InputError(`no backup ${id}`);
      return info;
    },
    async verifyBackup(_ws, id, { deep }) {
      seen.deep?.push(deep);
      return reports.get(id) ?? { id, ok: true, deep, files: 3, bytes: 300, problems: [] };
    },
    runner: async () => {
      throw new Error('no process runs in these tests');
    },
    clock: { now: () => new Date('2026-11-22T10:20:00Z') },
  };
  const options = (extra: Partial<GateOptions> = {}): GateOptions => ({
    ws,
    loadPlan: () => loadPlan({ workspace: ws, processEnv: {} }),
    deep: false,
    concurrency: 4,
    acks: new Set(),
    processEnv: {},
    ...extra,
  });
  const run = (over: Partial<Run>): Run => ({
    id: 'r1',
    kind: 'phase',
    phase: 0,
    from: null,
    to: 0,
    status: 'succeeded',
    startedAt: '2026-11-22T10:15:00Z',
    host: currentHost(),
    user: 'ci',
    pid: 1,
    steps: [],
    backups: [],
    snapshots: [],
    acks: [],
    ...over,
  });
  const writeState = (state: Partial<State>) =>
    writeFileSync(
      ws.stateFile,
      JSON.stringify({ version: 1, current: null, planHash: null, runs: [], ...state }),
    );
  const applyPhase0 = (backupIds = backups.map((b) => b.id)) => {
    writeState({ current: 0, runs: [run({ backups: backupIds })] });
    mkdirSync(ws.rollbackDir, { recursive: true });
    writeFileSync(join(ws.rollbackDir, 'phase-0.md'), '# Rollback of phase 0\n');
  };
  return { root, ws, deps, options, reports, seen, statusOf, run, writeState, applyPhase0 };
}

const verdicts = (items: { id: string; verdict: string }[]) => items.map((i) => `${i.id}=${i.verdict}`);

describe('evaluateGate', () => {
  it('nothing applied: gates the first phase on its checklist; backups and runbook are not there yet', async () => {
    const t = setup();
    const report = await evaluateGate(t.options(), t.deps);
    expect(report).toMatchObject({ exitCode: 0, ok: true, phase: 0, standing: 'next', project: 'acme' });
    expect(verdicts(report.items)).toEqual([
      'plan=pass',
      'ledger=pass',
      'lock=pass',
      'phase=pass',
      'checklist: conf_exists=pass',
      'backups=skipped',
      'runbook=skipped',
    ]);
    expect(t.seen.mode).toBe('gate');
    expect(report.items.find((i) => i.id === 'backups')?.message).toBe(
      'skipped: no backups yet: the phase has not been applied',
    );
  });

  it('an applied phase: its verify checks, every recorded backup verified, its runbook', async () => {
    const t = setup();
    t.applyPhase0();
    const report = await evaluateGate(t.options({ deep: true }), t.deps);
    expect(report).toMatchObject({ exitCode: 0, phase: 0, standing: 'current' });
    expect(verdicts(report.items)).toEqual([
      'plan=pass',
      'ledger=pass',
      'lock=pass',
      'phase=pass',
      'verify: marker=pass',
      'backup: conf_20261122-101500=pass',
      'backup: data_20261122-101500=pass',
      'runbook=pass',
    ]);
    expect(t.seen.deep).toEqual([true, true]);
  });

  it('a backup that does not verify fails and names the file', async () => {
    const t = setup();
    t.applyPhase0();
    t.reports.set('data_20261122-101500', {
      id: 'data_20261122-101500',
      ok: false,
      deep: true,
      files: 3,
      bytes: 300,
      problems: [{ path: 'db/users.sqlite', kind: 'changed', detail: 'sha256 differs' }],
    });
    const report = await evaluateGate(t.options({ deep: true }), t.deps);
    expect(report.exitCode).toBe(1);
    const bad = report.items.find((i) => i.id === 'backup: data_20261122-101500');
    expect(bad?.verdict).toBe('fail');
    expect(bad?.message).toContain('db/users.sqlite');
  });

  it('a recorded backup that is gone, and a restored system with no backup, both fail', async () => {
    const t = setup();
    t.applyPhase0(['conf_20261122-101500', 'conf_20261101-000000']);
    const report = await evaluateGate(t.options(), t.deps);
    expect(verdicts(report.items.filter((i) => i.group === 'backups'))).toEqual([
      'backup: conf_20261122-101500=pass',
      'backup: conf_20261101-000000=fail',
      'backups: data=fail',
    ]);
  });

  it('an applied phase without a runbook fails the runbook item', async () => {
    const t = setup();
    t.applyPhase0();
    const { rmSync } = await import('node:fs');
    rmSync(join(t.ws.rollbackDir, 'phase-0.md'));
    const report = await evaluateGate(t.options(), t.deps);
    expect(report.items.find((i) => i.id === 'runbook')?.verdict).toBe('fail');
  });

  it('an interrupted run, or one left running by a dead process, fails the ledger item', async () => {
    const t = setup();
    t.writeState({ current: null, runs: [t.run({ status: 'interrupted', to: 0 })] });
    let report = await evaluateGate(t.options(), t.deps);
    expect(report.items.find((i) => i.id === 'ledger')?.message).toContain(
      'settle it with `gnr-migrate rollback` or `gnr-migrate phase 0 --resume`',
    );
    t.writeState({ current: null, runs: [t.run({ status: 'running', pid: 2 ** 22 + 12345 })] });
    report = await evaluateGate(t.options(), t.deps);
    expect(report.exitCode).toBe(1);
    expect(report.items.find((i) => i.id === 'ledger')?.message).toContain(
      'left running by a process that is gone',
    );
  });

  it('a settled interrupted run does not block', async () => {
    const t = setup();
    t.writeState({ current: null, runs: [t.run({ status: 'interrupted', settledBy: 'r2' })] });
    const report = await evaluateGate(t.options(), t.deps);
    expect(report.items.find((i) => i.id === 'ledger')?.verdict).toBe('pass');
  });

  it('a stale lock and a live one fail the lock item with what to do', async () => {
    const t = setup();
    const lock = (pid: number) =>
      writeFileSync(
        t.ws.lockFile,
        JSON.stringify({
          id: 'l1',
          pid,
          host: currentHost(),
          command: 'gnr-migrate phase 0',
          startedAt: '2026-11-22T10:00:00Z',
          heartbeatAt: '2026-11-22T10:00:00Z',
        }),
      );
    lock(2 ** 22 + 12345);
    let item = (await evaluateGate(t.options(), t.deps)).items.find((i) => i.id === 'lock');
    expect(item?.verdict).toBe('fail');
    expect(item?.message).toMatch(/^stale lock, run `gnr-migrate unlock`/);
    lock(process.pid);
    item = (await evaluateGate(t.options(), t.deps)).items.find((i) => i.id === 'lock');
    expect(item?.message).toMatch(/^a run is in progress: pid \d+/);
    writeFileSync(t.ws.lockFile, 'garbage');
    item = (await evaluateGate(t.options(), t.deps)).items.find((i) => i.id === 'lock');
    expect(item?.message).toContain('unlock --force');
  });

  it('a phase further down the path fails, naming the phase to apply first', async () => {
    const t = setup();
    const report = await evaluateGate(t.options({ phase: 3 }), t.deps);
    expect(report.items.find((i) => i.id === 'phase')?.message).toBe(
      'phase 3 is not next: apply phase 0 first (nothing applied yet)',
    );
    // A warn-severity check that fails is reported, but does not block.
    t.statusOf.set('soft', 'fail');
    const again = await evaluateGate(t.options({ phase: 3 }), t.deps);
    expect(again.items.find((i) => i.id === 'checklist: soft')?.verdict).toBe('warn');
  });

  it('a failing blocking check fails the gate', async () => {
    const t = setup();
    t.statusOf.set('conf_exists', 'fail');
    const report = await evaluateGate(t.options(), t.deps);
    expect(report.exitCode).toBe(1);
    expect(report.items.find((i) => i.id === 'checklist: conf_exists')?.verdict).toBe('fail');
  });

  it('an unknown --phase is bad input', async () => {
    const t = setup();
    await expect(evaluateGate(t.options({ phase: 9 }), t.deps)).rejects.toBeInstanceOf(InputError);
  });

  it('an invalid plan is one failed item and exit 2', async () => {
    const t = setup();
    writeFileSync(t.ws.planFile, 'version: 1\nproject: acme\npath: [0]\nphases: [{ id: 0, chekcs: [] }]\n');
    const report = await evaluateGate(t.options(), t.deps);
    expect(report.exitCode).toBe(2);
    expect(verdicts(report.items)).toEqual(['plan=fail']);
    expect(report.items[0]?.details).toContain('unknown key "chekcs"');
  });

  it('a corrupt ledger fails its item and skips what depends on it', async () => {
    const t = setup();
    writeFileSync(t.ws.stateFile, '{ not json');
    const report = await evaluateGate(t.options(), t.deps);
    expect(report.exitCode).toBe(1);
    expect(verdicts(report.items)).toEqual([
      'plan=pass',
      'ledger=fail',
      'lock=pass',
      'phase=skipped',
      'checklist=skipped',
      'backups=skipped',
      'runbook=skipped',
    ]);
  });
});
