import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';
import { managedFixtures, type PhaseFixture, readState } from '../helpers/phase-fixture.js';

const fixture = managedFixtures();
/** Without a terminal, `phase` and `rollback` need --yes (issue 12 §5). */
const withYes = (args: string[]) =>
  (args[0] === 'phase' || args[0] === 'rollback') && !args.includes('--dry-run') ? [...args, '--yes'] : args;
const cli = (f: PhaseFixture, args: string[]) => runCli([...withYes(args), ...f.vars], { cwd: f.ws });

interface HistoryRun {
  id: string;
  action: string;
  what: string;
  status: string;
  durationMs: number | null;
  user: string;
  host: string;
  inputs: { command: string; vars: Record<string, string> };
  links: { logs: string | null; failure: string | null; runbook: string | null };
  rollbackOf: string | null;
}

describe('history, failures and status read the ledger the same way', () => {
  it('every run is in history; a manual rollback is not a failure; backups by hand are recorded', async () => {
    const f = await fixture();
    const planFile = join(f.ws, 'migration', 'plan.yaml');
    writeFileSync(
      planFile,
      readFileSync(planFile, 'utf8').replace('  slow: "0"\n', '  slow: "0"\n  db_password: ""\n'),
    );
    // 1 phase that fails and is rolled back automatically (a secret var on its command line)
    const failed = await cli(f, ['phase', '0', '--var', 'fail_step=1', '--var', 'db_password=hunter2']);
    expect(failed.code, failed.stderr).toBe(1);
    expect((await cli(f, ['phase', '0'])).code).toBe(0);
    expect((await cli(f, ['backup', 'create', 'ini'])).code).toBe(0);
    const backupId = (readState(f.ws).runs.at(-1) as { backups: string[] }).backups[0]!;
    expect((await cli(f, ['backup', 'restore', backupId, '--yes'])).code).toBe(0);
    expect((await cli(f, ['phase', '3'])).code).toBe(0);
    // 2 manual rollbacks (3 → 0 → start): records are written, but they are not failures
    expect((await cli(f, ['rollback', '--to', '0'])).code).toBe(0);
    expect((await cli(f, ['rollback'])).code).toBe(0);

    const h = await cli(f, ['history', '--json']);
    expect(h.code, h.stderr).toBe(0);
    const runs = (json(h) as { runs: HistoryRun[] }).runs;
    expect(runs.map((r) => [r.action, r.status])).toEqual([
      ['phase', 'rolled-back'],
      ['auto-rollback', 'succeeded'],
      ['phase', 'rolled-back'],
      ['backup-create', 'succeeded'],
      ['backup-restore', 'succeeded'],
      ['phase', 'rolled-back'],
      ['rollback', 'succeeded'],
      ['rollback', 'succeeded'],
    ]);
    const [first, auto] = runs;
    expect(first!.inputs.vars.db_password).toBe('***');
    expect(first!.inputs.command).not.toMatch(/hunter2/);
    expect(first!.inputs.command).toMatch(/db_password=\*\*\*/);
    expect(first!.links.failure).toMatch(/^migration\/failures\/demo_phase-0_.*\.json$/);
    expect(first!.links.logs).toBe(`migration/logs/${first!.id}/`);
    expect(first!.links.runbook).toBe('migration/rollback/phase-0.md');
    expect(auto!.rollbackOf).toBe(first!.id);
    expect(auto!.links.failure).toBe(first!.links.failure);
    for (const r of runs) {
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      expect(r.user).toBeTruthy();
      expect(r.host).toBeTruthy();
    }
    expect(runs[4]!.what).toBe(`backup restore ${backupId}`);

    // the human table goes to stdout (a result), with user@host and the links
    const table = await cli(f, ['history']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/rollback 0 → 0 \(automatic\)|rollback 0 → the start \(automatic\)/);
    expect(table.stdout).toMatch(/@/);
    expect(table.stdout).toMatch(/failure: +migration\/failures\//);
    expect(table.stdout).toMatch(/db_password=\*\*\*/);
    expect(table.stdout + table.stderr).not.toMatch(/hunter2/);

    // failures: the one real failure; the manual rollbacks stay out of the list and the count
    const list = json(await cli(f, ['failures', '--json'])) as {
      failures: { kind: string; rollback: string }[];
      manualRollbacks: number;
    };
    expect(list.failures.map((x) => [x.kind, x.rollback])).toEqual([['step', 'succeeded']]);
    expect(list.manualRollbacks).toBe(2);
    const status = await cli(f, ['status']);
    expect(status.stderr + status.stdout).toMatch(/Failures: 1\b/);
  });

  it('status marks an interrupted phase as half-applied and says what to run; the record follows the rollback', async () => {
    const f = await fixture();
    const r = await cli(f, ['phase', '0', '--var', 'fail_step=1', '--no-auto-rollback']);
    expect(r.code).toBe(1);
    const status = await cli(f, ['status']);
    const text = status.stderr + status.stdout;
    expect(text).toMatch(/◐ +0 .*half-applied \(failed\)/);
    expect(text).not.toMatch(/○ +0 /);
    expect(text).toMatch(
      /Phase 0 is half-applied: .*failed at step maybe_fail and was not rolled back \(4 of 5 steps done\)/,
    );
    expect(text).toMatch(/`gnr-migrate rollback`.*`gnr-migrate phase 0 --resume`/);
    const doc = json(await cli(f, ['status', '--json'])) as {
      halfApplied: { phase: number; state: string }[];
    };
    expect(doc.halfApplied).toMatchObject([{ phase: 0, state: 'failed' }]);

    // the failure record said not-attempted; once `rollback` settles the run it says how it went
    const run = readState(f.ws).runs.at(-1) as { failure: string };
    const before = JSON.parse(readFileSync(join(f.ws, run.failure), 'utf8'));
    expect(before.rollback.outcome).toBe('not-attempted');
    // the rollback is given the inputs the run had (issue 12: other inputs are refused)
    expect((await cli(f, ['rollback', '--var', 'fail_step=1'])).code).toBe(0);
    const after = JSON.parse(readFileSync(join(f.ws, run.failure), 'utf8'));
    expect(after.rollback).toMatchObject({ attempted: true, outcome: 'succeeded' });
    const list = json(await cli(f, ['failures', '--json'])) as { failures: { rollback: string }[] };
    expect(list.failures.map((x) => x.rollback)).toEqual(['succeeded']);
    const settled = await cli(f, ['status']);
    expect(settled.stderr + settled.stdout).not.toMatch(/half-applied/);
  });

  it('a resumed run that fails and is rolled back settles the interrupted run too; its record says so', async () => {
    const f = await fixture();
    let child: { kill(sig: string): void } | undefined;
    const running = runCli(['phase', '0', '--yes', ...f.vars, '--var', 'slow=30'], {
      cwd: f.ws,
      onSpawn: (c) => {
        child = c;
      },
    });
    await waitFor(() => {
      try {
        const steps = (readState(f.ws).runs.at(-1) as { steps: { id: string; status: string }[] }).steps;
        return steps.some((x) => x.id === 'maybe_slow' && x.status === 'running');
      } catch {
        return false;
      }
    });
    child!.kill('SIGINT');
    expect((await running).code).toBe(130);
    const interrupted = readState(f.ws).runs.at(-1) as { id: string; failure: string };
    const status = await cli(f, ['status']);
    expect(status.stderr + status.stdout).toMatch(/◐ +0 .*half-applied \(interrupted\)/);
    expect(status.stderr + status.stdout).toMatch(/was interrupted at step maybe_slow \(3 of 5 steps done\)/);

    // other inputs than the interrupted run's (fail_step, slow) need --force
    const resumed = await cli(f, ['phase', '0', '--resume', '--force', '--var', 'fail_step=1']);
    expect(resumed.code, resumed.stderr).toBe(1);
    const record = JSON.parse(readFileSync(join(f.ws, interrupted.failure), 'utf8'));
    expect(record.kind).toBe('interrupted');
    expect(record.rollback).toMatchObject({ attempted: true, outcome: 'succeeded' });
    const after = await cli(f, ['status']);
    expect(after.stderr + after.stdout).not.toMatch(/half-applied/);
    const h = json(await cli(f, ['history', '--json'])) as { runs: { action: string; status: string }[] };
    expect(h.runs.map((r) => r.action)).toEqual(['phase', 'resume', 'auto-rollback']);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
