import { describe, expect, it } from 'vitest';
import type { FailureRecord } from '../../src/ledger/failure.js';
import { failureViews, readHistory } from '../../src/ledger/history.js';
import { type Run, type State, stateSchema } from '../../src/ledger/schema.js';
import { inputsOf, redactCommandLine } from '../../src/ledger/shown-inputs.js';

let clock = Date.UTC(2026, 10, 22, 10, 0, 0);
function run(fields: Partial<Run> & Pick<Run, 'id' | 'kind' | 'phase'>): Run {
  clock += 60_000;
  const startedAt = new Date(clock).toISOString();
  return {
    from: null,
    to: null,
    status: 'succeeded',
    startedAt,
    endedAt: new Date(clock + 1500).toISOString(),
    host: 'erp1',
    user: 'deploy',
    pid: 100,
    steps: [],
    backups: [],
    snapshots: [],
    acks: [],
    ...fields,
  };
}
const step = (
  id: string,
  status: 'succeeded' | 'failed' | 'interrupted' | 'running',
  stage = 'step' as const,
) => ({
  id,
  stage,
  status,
  startedAt: new Date(clock).toISOString(),
  log: `migration/logs/x/${id}.log`,
});
const state = (runs: Run[], current: number | null = null): State => ({
  version: 1,
  current,
  planHash: null,
  runs,
});
function record(
  fields: Partial<FailureRecord> & Pick<FailureRecord, 'id' | 'kind' | 'runId'>,
): FailureRecord {
  return {
    version: 1,
    system: 'acme',
    phase: 4,
    timestamp: new Date(clock).toISOString(),
    reason: 'x',
    step: null,
    checks: [],
    logTails: {},
    metrics: null,
    backups: [],
    rollback: {
      attempted: false,
      outcome: 'not-attempted',
      restored: [],
      snapshots: [],
      undone: [],
      errors: [],
      verify: [],
    },
    host: 'erp1',
    user: 'deploy',
    toolVersion: '0.1.0',
    ...fields,
  };
}

describe('the history read model', () => {
  it('names each run: phase, resume, automatic and manual rollback, backup and restore by hand', () => {
    const s = state([
      run({
        id: 'p4',
        kind: 'phase',
        phase: 4,
        status: 'rolled-back',
        settledBy: 'rb4',
        failure: 'migration/failures/f1.json',
        command: 'gnr-migrate phase 4 --var db_password=hunter2 --var site=acme',
        steps: [step('a', 'succeeded')],
      }),
      run({
        id: 'rb4',
        kind: 'rollback',
        phase: 4,
        to: 3,
        reason: 'auto-rollback: step a',
        command: 'gnr-migrate phase 4',
      }),
      run({ id: 'b1', kind: 'backup', phase: null, steps: [step('site', 'succeeded', 'backup' as 'step')] }),
      run({
        id: 'r1',
        kind: 'backup',
        phase: null,
        steps: [step('site_20261122-101500', 'succeeded', 'restore' as 'step')],
      }),
      run({ id: 'p4b', kind: 'phase', phase: 4, status: 'interrupted', settledBy: 'p4c' }),
      run({ id: 'p4c', kind: 'phase', phase: 4, resumes: 'p4b' }),
      run({
        id: 'm4',
        kind: 'rollback',
        phase: 4,
        to: 3,
        reason: 'manual rollback',
        command: 'gnr-migrate rollback',
      }),
    ]);
    const h = readHistory(s, undefined);
    expect(h.entries.map((e) => [e.id, e.action, e.what])).toEqual([
      ['p4', 'phase', 'phase 4'],
      ['rb4', 'auto-rollback', 'rollback 4 → 3 (automatic)'],
      ['b1', 'backup-create', 'backup create site'],
      ['r1', 'backup-restore', 'backup restore site_20261122-101500'],
      ['p4b', 'phase', 'phase 4'],
      ['p4c', 'resume', 'phase 4 --resume'],
      ['m4', 'rollback', 'rollback 4 → 3'],
    ]);
    const [p4, rb4] = h.entries;
    expect(p4!.durationMs).toBe(1500);
    expect(p4!.inputs.vars).toEqual({ db_password: '***', site: 'acme' });
    expect(p4!.links).toEqual({
      logs: 'migration/logs/p4/',
      failure: 'migration/failures/f1.json',
      runbook: 'migration/rollback/phase-4.md',
    });
    expect(rb4!.rollbackOf).toBe('p4');
    expect(rb4!.links.failure).toBe('migration/failures/f1.json');
    expect(h.entries.at(-1)!.rollbackOf).toBe('p4c');
    expect(h.halfApplied).toEqual([]);
  });

  it('a phase left half-way is half-applied, with what settles it', () => {
    const interrupted = run({
      id: 'p5',
      kind: 'phase',
      phase: 5,
      status: 'interrupted',
      steps: [step('a', 'succeeded'), step('b', 'interrupted')],
    });
    expect(readHistory(state([interrupted], 4), undefined).halfApplied).toEqual([
      {
        phase: 5,
        runId: 'p5',
        state: 'interrupted',
        stepsDone: ['a'],
        stoppedAt: 'b',
        remedy: ['gnr-migrate rollback', 'gnr-migrate phase 5 --resume'],
        runbook: 'migration/rollback/phase-5.md',
      },
    ]);
    // cut off by a kill: still `running`, but its holder is gone
    const killed = { ...interrupted, status: 'running' as const };
    expect(readHistory(state([killed], 4), undefined).halfApplied[0]!.state).toBe('interrupted');
    // …and while its holder holds the lock it is the active run, not half-applied
    const live = readHistory(state([killed], 4), { pid: 100, host: 'erp1' });
    expect(live.halfApplied).toEqual([]);
    expect(live.active?.id).toBe('p5');
    // a rollback that failed leaves the phase to a person
    const failedRollback = readHistory(
      state(
        [
          { ...interrupted, status: 'failed' },
          run({ id: 'rb5', kind: 'rollback', phase: 5, to: 4, status: 'failed' }),
        ],
        4,
      ),
      undefined,
    ).halfApplied;
    expect(failedRollback).toMatchObject([
      {
        phase: 5,
        runId: 'p5',
        state: 'rollback-failed',
        stepsDone: ['a'],
        remedy: ['follow the runbook migration/rollback/phase-5.md', 'gnr-migrate rollback'],
      },
    ]);
  });

  it('failures: a manual rollback that worked is not a failure; a settled run says how it was settled', () => {
    const s = state([
      run({ id: 'p4', kind: 'phase', phase: 4, status: 'rolled-back', settledBy: 'm4' }),
      run({
        id: 'm4',
        kind: 'rollback',
        phase: 4,
        reason: 'manual rollback',
        command: 'gnr-migrate rollback',
      }),
      run({ id: 'p5', kind: 'phase', phase: 5, status: 'interrupted', settledBy: 'p5r' }),
      run({ id: 'p5r', kind: 'phase', phase: 5, resumes: 'p5' }),
      run({ id: 'm6', kind: 'rollback', phase: 6, status: 'failed', command: 'gnr-migrate rollback' }),
    ]);
    const succeeded = {
      attempted: true,
      outcome: 'succeeded' as const,
      restored: [],
      snapshots: [],
      undone: [],
      errors: [],
      verify: [],
    };
    const views = failureViews(
      [
        record({ id: 'f-p4', kind: 'interrupted', runId: 'p4' }),
        record({ id: 'f-m4', kind: 'rollback', runId: 'm4', rollback: succeeded }),
        record({ id: 'f-p5', kind: 'interrupted', runId: 'p5' }),
        record({ id: 'f-m6', kind: 'rollback', runId: 'm6', rollback: { ...succeeded, outcome: 'failed' } }),
        // no run in the ledger (a ledger moved aside): judged by the record alone
        record({
          id: 'f-old',
          kind: 'rollback',
          runId: 'gone',
          reason: 'manual rollback',
          rollback: succeeded,
        }),
      ],
      readHistory(s, undefined),
    );
    expect(views.map((v) => [v.record.id, v.isFailure, v.rollback.outcome])).toEqual([
      ['f-p4', true, 'succeeded'],
      ['f-m4', false, 'succeeded'],
      ['f-p5', true, 'resumed (succeeded)'],
      ['f-m6', true, 'failed'],
      ['f-old', false, 'succeeded'],
    ]);
  });

  it('an old ledger without notifications reads, and secrets never show', () => {
    const old = stateSchema.parse({
      version: 1,
      current: 0,
      planHash: null,
      runs: [
        {
          id: 'a',
          kind: 'phase',
          phase: 0,
          from: null,
          to: 0,
          status: 'succeeded',
          startedAt: '2026-11-22T10:00:00Z',
          host: 'h',
          user: 'u',
          pid: 1,
        },
      ],
    });
    expect(readHistory(old, undefined).entries[0]!.notifications).toEqual([]);
    expect(
      redactCommandLine(
        'gnr-migrate phase 3 --var api_token=abc --var=SECRET_KEY=x --var url=https://u:pw@h/x',
      ),
    ).toBe('gnr-migrate phase 3 --var api_token=*** --var=SECRET_KEY=*** --var url=https://u:***@h/x');
    expect(
      inputsOf('gnr-migrate phase 3 --env prod --ack team_notified --force --plan p.yaml'),
    ).toMatchObject({
      env: 'prod',
      acks: ['team_notified'],
      flags: ['--force'],
      plan: 'p.yaml',
    });
  });
});
