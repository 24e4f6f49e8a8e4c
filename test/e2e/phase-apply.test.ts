import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';
import { freePort, managedFixtures, type PhaseFixture, readState } from '../helpers/phase-fixture.js';
import { walkTree } from '../helpers/tree.js';

const fixture = managedFixtures();

/** Without a terminal, `phase` and `rollback` need --yes (issue 12 §5). */
const withYes = (args: string[]) =>
  (args[0] === 'phase' || args[0] === 'rollback') && !args.includes('--dry-run') ? [...args, '--yes'] : args;
const cli = (f: PhaseFixture, args: string[]) => runCli([...withYes(args), ...f.vars], { cwd: f.ws });

/** The host's files as the test sees them (content, type, mode, link target; not mtimes of dirs changed by restore). */
function snapshot(f: PhaseFixture) {
  const tree = walkTree(f.host);
  return [...tree].map(([path, e]) => [path, e.type, e.mode, e.sha256 ?? e.target ?? '']);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('phase <id>: apply', () => {
  it('applies a phase: ledger, backups, runbook, logs, a real listener', async () => {
    const f = await fixture();
    const r = await cli(f, ['phase', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({
      ok: true,
      phase: 0,
      status: 'succeeded',
      runbook: 'migration/rollback/phase-0.md',
    });

    const state = readState(f.ws);
    expect(state.current).toBe(0);
    const run = state.runs.at(-1) as {
      status: string;
      steps: { id: string; stage: string; status: string }[];
      backups: string[];
    };
    expect(run.status).toBe('succeeded');
    expect(run.steps.filter((s) => s.stage === 'step').map((s) => [s.id, s.status])).toEqual([
      ['rewrite_site', 'succeeded'],
      ['rewrite_ini', 'succeeded'],
      ['start_listener', 'succeeded'],
      ['maybe_slow', 'succeeded'],
      ['maybe_fail', 'succeeded'],
    ]);
    expect(run.backups).toHaveLength(2);
    for (const id of run.backups) expect(existsSync(join(f.ws, 'backups', id, 'manifest.json'))).toBe(true);

    const runbook = readFileSync(join(f.ws, 'migration', 'rollback', 'phase-0.md'), 'utf8');
    for (const section of [
      '## Backups taken',
      '## Roll back with one command',
      '## Manual rollback',
      'rsync -a --delete',
      '```mermaid',
      '## Contingency plans',
    ]) {
      expect(runbook).toContain(section);
    }
    expect(runbook).toContain(run.backups[0]!);

    const logs = readdirSync(join(f.ws, 'migration', 'logs', (state.runs.at(-1) as { id: string }).id));
    expect(logs).toEqual(expect.arrayContaining(['rewrite_site.log', 'maybe_fail.log']));
    expect(readFileSync(join(f.host, 'app.ini'), 'utf8')).toContain('mode=asgi');
    expect(pidAlive(Number(readFileSync(f.pidFile, 'utf8')))).toBe(true);

    const again = await cli(f, ['phase', '0']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already applied/);
  });

  it('refuses a phase out of order and an unknown one, changing nothing', async () => {
    const f = await fixture();
    const r = await cli(f, ['phase', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/phase 0/);
    expect(existsSync(join(f.ws, 'migration', 'state.json'))).toBe(false);
    const unknown = await cli(f, ['phase', '9']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/phase 9 is not in the plan/);
  });

  it('a failing step is rolled back: the systems are byte-identical, the failure is recorded', async () => {
    const f = await fixture();
    const before = snapshot(f);
    const r = await cli(f, ['phase', '0', '--var', 'fail_step=3']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/rolled back/);
    expect(snapshot(f)).toEqual(before);
    expect(existsSync(f.pidFile)).toBe(false);

    const state = readState(f.ws);
    expect(state.current).toBeNull();
    const phaseRun = state.runs.find((x) => x.kind === 'phase') as { status: string; failure: string };
    expect(phaseRun.status).toBe('rolled-back');
    const record = JSON.parse(readFileSync(join(f.ws, phaseRun.failure), 'utf8'));
    expect(record).toMatchObject({
      version: 1,
      system: 'demo',
      phase: 0,
      kind: 'step',
      step: { id: 'maybe_fail', exitCode: 3 },
      rollback: { attempted: true, outcome: 'succeeded', to: null },
    });
    expect(record.step.argv[0]).toBe('sh');
    expect(record.logTails.maybe_fail).toContain('step output before failing');
    expect(record.rollback.undone).toEqual(['start_listener']);
    expect(record.rollback.restored).toHaveLength(2);
    expect(readFileSync(join(f.ws, 'rollback.log'), 'utf8')).toContain('rolled back');
    expect(readdirSync(join(f.ws, 'migration', 'failures'))).toHaveLength(1);

    const list = json(await cli(f, ['failures', '--json']));
    expect((list.failures as unknown[]).length).toBe(1);
    const show = await cli(f, ['failures', 'show', record.id]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('maybe_fail');
  });

  it('a failing verify is rolled back the same way', async () => {
    const f = await fixture();
    const before = snapshot(f);
    const r = await cli(f, ['phase', '0', '--var', 'fail_verify=1', '--json']);
    expect(r.code).toBe(1);
    expect(json(r)).toMatchObject({ status: 'rolled-back', rollback: { outcome: 'succeeded' } });
    expect(snapshot(f)).toEqual(before);
    const state = readState(f.ws);
    const record = JSON.parse(
      readFileSync(join(f.ws, (state.runs[0] as { failure: string }).failure), 'utf8'),
    );
    expect(record.kind).toBe('verify');
    expect(record.checks.map((c: { id: string }) => c.id)).toEqual(['verify_switch']);
  });

  it('--no-auto-rollback leaves the failure for the operator, and rollback settles it', async () => {
    const f = await fixture();
    const before = snapshot(f);
    const r = await cli(f, ['phase', '0', '--var', 'fail_step=1', '--no-auto-rollback']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not rolled back/);
    const status = json(await cli(f, ['status', '--json']));
    expect((status.interrupted as unknown[]).length).toBe(1);
    expect((await cli(f, ['phase', '0'])).stderr).toMatch(/not settled/);
    // Other inputs than the run's are refused with the difference (issue 12: rollback with other inputs).
    const other = await cli(f, ['rollback']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/var fail_step: "1" → "0"/);
    expect(snapshot(f)).not.toEqual(before);
    // Without --var, the rollback uses the run's own inputs.
    const rb = await runCli(['rollback', '--yes'], { cwd: f.ws });
    expect(rb.code, rb.stderr).toBe(0);
    expect(snapshot(f)).toEqual(before);
  });

  it('rollback after success, and rollback --to across two phases', async () => {
    const f = await fixture();
    const before = snapshot(f);
    expect((await cli(f, ['phase', '0'])).code).toBe(0);
    const afterZero = snapshot(f);
    expect((await cli(f, ['phase', '3'])).code).toBe(0);
    expect(readState(f.ws).current).toBe(3);

    const dry = await cli(f, ['rollback', '--to', '0', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(json(dry)).toMatchObject({ dryRun: true, items: [{ phase: 3, to: 0 }] });
    expect(readState(f.ws).current).toBe(3);

    const one = await cli(f, ['rollback', '--to', '0']);
    expect(one.code, one.stderr).toBe(0);
    expect(readState(f.ws).current).toBe(0);
    expect(snapshot(f)).toEqual(afterZero);

    expect((await cli(f, ['phase', '3'])).code).toBe(0);
    const all = await cli(f, ['rollback', '--to', '0', '--json']);
    expect(all.code).toBe(0);
    const both = await cli(f, ['rollback', '--reason', 'error rate']);
    expect(both.code, both.stderr).toBe(0);
    expect(readState(f.ws).current).toBeNull();
    expect(snapshot(f)).toEqual(before);
    expect(existsSync(f.pidFile)).toBe(false);

    const nothing = await cli(f, ['rollback']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/nothing to roll back/);
  });

  it('a rollback whose backup is corrupted stops before changing anything: exit 3', async () => {
    const f = await fixture();
    expect((await cli(f, ['phase', '0'])).code).toBe(0);
    const applied = snapshot(f);
    const run = readState(f.ws).runs.at(-1) as { backups: string[] };
    const conf = run.backups.find((b) => b.startsWith('conf_'))!;
    const victim = join(f.ws, 'backups', conf, 'data', 'site.xml');
    writeFileSync(victim, `${readFileSync(victim, 'utf8')}X`);

    const dry = await cli(f, ['rollback', '--dry-run']);
    expect(dry.code).toBe(3);
    const r = await cli(f, ['rollback']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/site\.xml/);
    expect(r.stderr).toMatch(/migration\/rollback\/phase-0\.md/);
    expect(snapshot(f)).toEqual(applied);
    expect(readState(f.ws).current).toBe(0);
  });

  it('two phase commands at once: one proceeds, the other exits 4 naming the holder', async () => {
    const f = await fixture();
    const [a, b] = await Promise.all([
      cli(f, ['phase', '0', '--var', 'slow=2']),
      cli(f, ['phase', '0', '--var', 'slow=2']),
    ]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 4]);
    const loser = a.code === 4 ? a : b;
    expect(loser.stderr).toMatch(/locked by pid \d+ on .*gnr-migrate phase 0/);
  });

  it('SIGINT during a long step: exit 130, step killed, lock released, failure recorded', async () => {
    const f = await fixture();
    const port = await freePort();
    let child: { kill(sig: string): void } | undefined;
    const running = runCli(['phase', '0', '--yes', ...f.vars, '--var', 'slow=30', '--var', `port=${port}`], {
      cwd: f.ws,
      onSpawn: (c) => {
        child = c;
      },
    });
    await waitFor(() => {
      try {
        const s = readState(f.ws);
        const steps = (s.runs.at(-1) as { steps: { id: string; status: string }[] }).steps;
        return steps.some((x) => x.id === 'maybe_slow' && x.status === 'running');
      } catch {
        return false;
      }
    });
    child!.kill('SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(existsSync(join(f.ws, 'migration', '.lock'))).toBe(false);
    const state = readState(f.ws);
    const run = state.runs.at(-1) as {
      status: string;
      failure: string;
      steps: { id: string; status: string }[];
    };
    expect(run.status).toBe('interrupted');
    expect(run.steps.find((s) => s.id === 'maybe_slow')?.status).toBe('interrupted');
    const record = JSON.parse(readFileSync(join(f.ws, run.failure), 'utf8'));
    expect(record.kind).toBe('interrupted');
    expect(record.rollback.outcome).toBe('not-attempted');
    const status = await cli(f, ['status']);
    expect(status.stdout).toMatch(
      /Phase 0 is half-applied: .*interrupted.*gnr-migrate rollback.*phase 0 --resume/,
    );
    // the sleeping step's process tree is gone (this workspace's: other tests sleep too)
    const sleeps = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return (
            readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u000030\u0000' &&
            readlinkSync(`/proc/${p}/cwd`).startsWith(realpathSync(f.ws))
          );
        } catch {
          return false;
        }
      });
    expect(sleeps).toEqual([]);
    // --resume refuses other inputs than the run's (slow 30 → 0) unless --force
    const refused = await runCli(['phase', '0', '--resume', '--yes', ...f.vars, '--var', `port=${port}`], {
      cwd: f.ws,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/var slow: "30" → "0"/);
    // resume finishes the phase from the interrupted step
    const resumed = await runCli(
      ['phase', '0', '--resume', '--yes', '--force', ...f.vars, '--var', `port=${port}`],
      {
        cwd: f.ws,
      },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readState(f.ws).current).toBe(0);
  });
});

describe('phase and rollback: bad input and SIGTERM', () => {
  it('bad input is exit 2 with a message naming the phase, run or record; nothing changes', async () => {
    const f = await fixture();
    const before = snapshot(f);
    const cases: [string[], RegExp][] = [
      [['rollback', '--to', 'x'], /--to "x": expected a phase number/],
      [['rollback'], /nothing to roll back/],
      [['phase', '0', '--resume'], /no interrupted or failed run of phase 0 to resume/],
      [['phase', '9'], /phase 9 is not in the plan .*\(phases: 0, 3\)/],
      [['failures', 'show', 'nope'], /no failure record "nope"/],
      [['failures', 'show', '../state'], /expected a record id, not a path/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(f, args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect((await cli(f, ['phase', '0'])).code).toBe(0);
    const past = await cli(f, ['rollback', '--to', '3']);
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/before 3; rollback only goes back/);
    const unknown = await cli(f, ['rollback', '--to', '9']);
    expect(unknown.stderr).toMatch(/--to 9: no such phase/);
    expect((await cli(f, ['rollback'])).code).toBe(0);
    expect(snapshot(f)).toEqual(before);
  });

  it('SIGTERM during a step: exit 143, the run interrupted, the lock released', async () => {
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
    child!.kill('SIGTERM');
    const r = await running;
    expect(r.code).toBe(143);
    expect(existsSync(join(f.ws, 'migration', '.lock'))).toBe(false);
    expect((readState(f.ws).runs.at(-1) as { status: string }).status).toBe('interrupted');
    expect((await runCli(['rollback', '--yes'], { cwd: f.ws })).code).toBe(0);
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
