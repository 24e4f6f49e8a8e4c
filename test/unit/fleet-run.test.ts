import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderJUnit } from '../../src/core/junit.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { fleetGate, fleetGateSuites } from '../../src/fleet/gate.js';
import { fleetKpis } from '../../src/fleet/kpis.js';
import { FleetLedger, fleetPaths, readFleetState } from '../../src/fleet/ledger.js';
import { runFleetRollback } from '../../src/fleet/rollback.js';
import { runFleetPhase } from '../../src/fleet/run-waves.js';
import { planWaves } from '../../src/fleet/waves.js';
import { FakeEngine, type FakeHost, fakeContext, listedInventory } from '../helpers/fleet-fake.js';
import { tempDir } from '../helpers/tmp.js';

const groups = { P0: ['h1'], P1: ['h2', 'h3'], P2: ['h4', 'h5'] };
const listed = listedInventory(groups);
const waves = {
  fleet: {
    waves: [
      { name: 'pilot', hosts: 'P0' },
      { name: 'expansion', hosts: 'P1' },
      { name: 'majority', hosts: 'P2' },
    ],
  },
};

/** Hosts that apply phase 3, except those in `failing`, which fail and roll themselves back. */
function hosts(failing: Set<string>, phases: Map<string, number | null> = new Map()): FakeHost {
  return (args, host) => {
    if (args[0] === 'phase') {
      if (failing.has(host))
        return {
          rc: 1,
          current: phases.get(host) ?? null,
          doc: {
            status: 'rolled-back',
            runId: `r-${host}`,
            message: 'step failed; rolled back',
            failure: 'migration/failures/x.json',
          },
        };
      phases.set(host, 3);
      return {
        rc: 0,
        current: 3,
        doc: { status: 'succeeded', runId: `r-${host}`, message: 'phase 3 applied' },
      };
    }
    if (args[0] === 'rollback') {
      phases.set(host, 0);
      return {
        rc: 0,
        current: 0,
        doc: { ok: true, current: 0, rolledBack: [{ phase: 3, runId: `rb-${host}` }] },
      };
    }
    if (args[0] === 'gate')
      return host === 'h2'
        ? {
            rc: 1,
            doc: {
              items: [
                {
                  id: 'runbook',
                  group: 'runbook',
                  title: 'runbook exists',
                  verdict: 'fail',
                  measured: null,
                  threshold: null,
                  message: 'no runbook',
                },
              ],
            },
          }
        : {
            rc: 0,
            doc: {
              items: [
                {
                  id: 'plan',
                  group: 'plan',
                  title: 'plan valid',
                  verdict: 'pass',
                  measured: null,
                  threshold: null,
                  message: 'ok',
                },
              ],
            },
          };
    return { rc: 2 };
  };
}

async function start(behave: FakeHost) {
  const ws = workspaceAt(tempDir('gnrm-fleet-'));
  const engine = new FakeEngine(listed, behave);
  const ctx = fakeContext(engine, listed);
  return { ws, engine, ctx };
}

describe('fleet phase', () => {
  it('stops at the wave over its budget; later waves never start; the ledger says who did what', async () => {
    const { ws, engine, ctx } = await start(hosts(new Set(['h3'])));
    const ledger = await FleetLedger.open(ws, 'test');
    const layout = planWaves(ctx.inventory, waves);
    const r = await runFleetPhase(ctx, ledger, ws, {
      phase: 3,
      layout,
      acks: ['team_notified'],
      command: 'test',
    }).finally(() => ledger.release());
    expect(r.exitCode).toBe(1);
    expect(r.stoppedAt).toBe('expansion');
    expect(r.applied).toEqual(['h1', 'h2']);
    expect(r.failed).toEqual([
      expect.objectContaining({ host: 'h3', outcome: 'rolled-back', wave: 'expansion' }),
    ]);
    expect(r.notStarted).toEqual(['h4', 'h5']);
    // One ansible-playbook per wave, limited to it, with its budget and the host command.
    expect(engine.calls.map((c) => c.hosts)).toEqual([['h1'], ['h2', 'h3']]);
    expect(engine.calls[1]?.extraVars.gnr_migrate_args).toEqual([
      'phase',
      '3',
      '--yes',
      '--json',
      '--ack',
      'team_notified',
    ]);
    expect(engine.calls[1]?.extraVars.gnr_migrate_max_fail_percentage).toBe(0);

    const state = await readFleetState(fleetPaths(ws));
    expect(state.runs[0]?.status).toBe('stopped');
    expect(state.runs[0]?.waves.map((w) => w.status)).toEqual(['succeeded', 'stopped', 'pending']);
    expect(state.hosts.h3?.runs[0]).toMatchObject({
      outcome: 'rolled-back',
      autoRollback: true,
      hostRunId: 'r-h3',
    });
    expect(state.hosts.h3?.runs[0]?.failure).toMatch(/expansion\/h3\/failure.json$/);
    expect(state.hosts.h1?.phase).toBe(3);
    expect(state.hosts.h5).toMatchObject({ phase: null, wave: 'majority', runs: [] });
  });

  it('rolls back a wave (only hosts that applied), then resumes from the first unfinished wave', async () => {
    const failing = new Set(['h3']);
    const { ws, engine, ctx } = await start(hosts(failing));
    let ledger = await FleetLedger.open(ws, 'test');
    await runFleetPhase(ctx, ledger, ws, {
      phase: 3,
      layout: planWaves(ctx.inventory, waves),
      acks: [],
      command: 't',
    });
    const rb = await runFleetRollback(ctx, ledger, ws, { select: { wave: 'expansion' }, command: 't' });
    expect(rb.selected).toEqual(['h2']);
    expect(rb.reverted).toEqual(['h2']);
    expect(engine.calls[2]?.extraVars.gnr_migrate_args.slice(0, 3)).toEqual(['rollback', '--yes', '--json']);
    expect(ledger.state.runs[0]?.waves[1]?.status).toBe('rolled-back');

    failing.clear();
    const resumed = await runFleetPhase(ctx, ledger, ws, { phase: 3, resume: true, acks: [], command: 't' });
    await ledger.release();
    expect(resumed.exitCode).toBe(0);
    expect(engine.calls.slice(3).map((c) => c.hosts)).toEqual([
      ['h2', 'h3'],
      ['h4', 'h5'],
    ]);
    ledger = await FleetLedger.open(ws, 'test');
    expect(ledger.state.runs[0]?.status).toBe('succeeded');
    const k = fleetKpis(ledger.state);
    await ledger.release();
    expect(k).toMatchObject({
      phase: 3,
      systemsMigrated: 5,
      systemsTotal: 5,
      rollbackCount: 2,
      failedMigrations: 1,
    });
    expect(k.validationSuccessRate).toBeCloseTo(6 / 7, 3);
    // The seed's score: mean of migrated/total, validation, 1 - rollbacks/migrated, failed?, throughput, downtime.
    const terms = [1, 6 / 7, 1 - 2 / 5, 0.5, 1, 0.8];
    expect(k.successScore).toBeCloseTo(terms.reduce((a, b) => a + b) / 6, 3);
  });

  it('counts unreachable hosts and agents that could not install as failures of the wave', async () => {
    const { ws, ctx } = await start((args, host) =>
      host === 'h2'
        ? { rc: null }
        : host === 'h3'
          ? { rc: 0, error: 'npm install: ENOENT' }
          : hosts(new Set())(args, host),
    );
    const ledger = await FleetLedger.open(ws, 'test');
    const r = await runFleetPhase(ctx, ledger, ws, {
      phase: 3,
      layout: planWaves(ctx.inventory, { ...waves, maxFailPercentage: 50 }),
      acks: [],
      command: 't',
    }).finally(() => ledger.release());
    expect(r.failed.map((f) => [f.host, f.outcome])).toEqual([
      ['h2', 'unreachable'],
      ['h3', 'error'],
    ]);
    expect(r.failed[1]?.message).toMatch(/npm install: ENOENT/);
    expect(r.stoppedAt).toBe('expansion');
  });

  it('holds the fleet lock: a second controller is exit 4', async () => {
    const { ws } = await start(hosts(new Set()));
    const ledger = await FleetLedger.open(ws, 'first');
    await expect(FleetLedger.open(ws, 'second')).rejects.toMatchObject({ exitCode: 4 });
    await ledger.release();
  });
});

describe('fleet gate', () => {
  it('one JUnit test suite per host, valid against the JUnit XSD', async () => {
    const { ctx } = await start(hosts(new Set()));
    const report = await fleetGate(ctx, ['h1', 'h2', 'h3'], { acks: [] });
    expect(report.exitCode).toBe(1);
    expect(report.hosts.map((h) => h.outcome)).toEqual(['passed', 'failed', 'passed']);
    const xml = renderJUnit(fleetGateSuites(report), 'gnr-migrate fleet gate');
    expect(xml.match(/<testsuite /g)).toHaveLength(3);
    const file = join(tempDir('gnrm-junit-'), 'fleet.xml');
    writeFileSync(file, xml);
    const xsd = new URL('../fixtures/xsd/jenkins-junit-10.xsd', import.meta.url).pathname;
    const lint = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
    if (lint.error) return; // xmllint absent: the shape is checked above
    expect(lint.stderr).toMatch(/validates/);
    expect(readFileSync(file, 'utf8')).toContain('name="h2"');
  });
});
