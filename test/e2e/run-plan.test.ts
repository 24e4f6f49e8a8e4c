import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';
import { managedFixtures, type PhaseFixture, readState } from '../helpers/phase-fixture.js';
import { tempDir } from '../helpers/tmp.js';
import { walkTree } from '../helpers/tree.js';

/**
 * Issue 12's reproductions, one test each, run against the built binary: one run plan per
 * run, bound inputs, saved plans, safe resume, confirmation, run state with one owner.
 */

const fixture = managedFixtures();
const yes = (f: PhaseFixture, args: string[]) => runCli([...args, '--yes', ...f.vars], { cwd: f.ws });
const planFile = (f: PhaseFixture) => join(f.ws, 'migration', 'plan.yaml');

function snapshot(f: PhaseFixture) {
  return [...walkTree(f.host)].map(([path, e]) => [path, e.type, e.mode, e.sha256 ?? e.target ?? '']);
}

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

function lastRun(f: PhaseFixture) {
  return readState(f.ws).runs.at(-1) as {
    id: string;
    status: string;
    steps: { id: string; status: string; pgid?: number }[];
    backups: string[];
  };
}

function processesRunning(cmdline: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8') === cmdline;
      } catch {
        return false;
      }
    });
}

describe('issue 12 reproductions', () => {
  it('resume after an interrupt during the checklist runs the checklist and the backups again', async () => {
    const f = await fixture();
    writeFileSync(
      planFile(f),
      readFileSync(planFile(f), 'utf8')
        .replace('  slow: "0"', '  slow: "0"\n  check_slow: "0"')
        .replace('    checks:\n', '    checks:\n      - { id: slow_check, run: [sleep, "${check_slow}"] }\n'),
    );
    let child: { kill(sig: string): void } | undefined;
    const running = runCli(['phase', '0', '--yes', ...f.vars, '--var', 'check_slow=30'], {
      cwd: f.ws,
      onSpawn: (c) => {
        child = c;
      },
    });
    await waitFor(
      () =>
        processesRunning('sleep\u000030\u0000').length > 0 &&
        existsSync(join(f.ws, 'migration', 'state.json')),
    );
    child!.kill('SIGINT');
    expect((await running).code).toBe(130);
    expect(lastRun(f).backups).toEqual([]);
    // A check that now fails must block the resume: the checklist runs again.
    writeFileSync(join(f.host, 'conf', 'site.xml'), '<site name="changed"/>\n');
    const before = snapshot(f);
    const resumed = await runCli(['phase', '0', '--resume', '--yes', '--force', ...f.vars], { cwd: f.ws });
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(resumed.stderr).toMatch(/blocked by its checklist: site_xml/);
    expect(snapshot(f)).toEqual(before);
    expect(readState(f.ws).current).toBeNull();
  });

  it('the runbook one-command rollback carries the run’s --var values', async () => {
    const f = await fixture();
    expect((await yes(f, ['phase', '0'])).code).toBe(0);
    const runbook = readFileSync(join(f.ws, 'migration', 'rollback', 'phase-0.md'), 'utf8');
    expect(runbook).toContain(`--var host=${f.host}`);
    const dry = await runCli(['rollback', '--dry-run', '--json'], { cwd: f.ws });
    expect(dry.code, dry.stderr).toBe(0);
    const doc = json<{ items: { undo: { command: string }[]; restore: { target: string }[] }[] }>(dry);
    expect(doc.items[0]?.undo[0]?.command).toContain(f.ws);
    expect(doc.items[0]?.restore.map((r) => r.target)).toContain(join(f.host, 'conf'));
  });

  it('without a terminal, phase, rollback and backup restore refuse (exit 2) unless --yes', async () => {
    const f = await fixture();
    const before = snapshot(f);
    const phase = await runCli(['phase', '0', ...f.vars], { cwd: f.ws });
    expect(phase.code).toBe(2);
    expect(phase.stderr).toMatch(/no terminal to confirm on; pass --yes/);
    expect(snapshot(f)).toEqual(before);
    expect(existsSync(join(f.ws, 'migration', 'state.json'))).toBe(false);
    expect((await yes(f, ['phase', '0'])).code).toBe(0);
    const rollback = await runCli(['rollback', ...f.vars], { cwd: f.ws });
    expect(rollback.code).toBe(2);
    const id = lastRun(f).backups[0]!;
    const restore = await runCli(['backup', 'restore', id, ...f.vars], { cwd: f.ws });
    expect(restore.code).toBe(2);
    expect(readState(f.ws).current).toBe(0);
  });

  it('prune keeps the backups a pending rollback restores, whatever ended the run', async () => {
    const f = await fixture();
    const before = snapshot(f);
    expect((await yes(f, ['phase', '0', '--var', 'fail_step=1', '--no-auto-rollback'])).code).toBe(1);
    expect((await runCli(['backup', 'create', ...f.vars], { cwd: f.ws })).code).toBe(0);
    expect((await runCli(['backup', 'create', ...f.vars], { cwd: f.ws })).code).toBe(0);
    const pruned = await runCli(['backup', 'prune', '--keep', '1', ...f.vars], { cwd: f.ws });
    expect(pruned.code, pruned.stderr).toBe(0);
    const rb = await runCli(['rollback', '--yes'], { cwd: f.ws });
    expect(rb.code, rb.stderr).toBe(0);
    expect(snapshot(f)).toEqual(before);
  });

  it('phase --resume --dry-run sees the same run to resume as phase --resume', async () => {
    const f = await fixture();
    expect((await yes(f, ['phase', '0', '--var', 'fail_step=1', '--no-auto-rollback'])).code).toBe(1);
    const failed = lastRun(f).id;
    const dry = await runCli(['phase', '0', '--resume', '--dry-run', '--json'], { cwd: f.ws });
    expect(dry.code, dry.stderr).toBe(0);
    const doc = json<{ resume?: { runId: string }; blockedBy: string[] }>(dry);
    expect(doc.resume?.runId).toBe(failed);
  });

  it('the dry-run runbook preview restores a single-file system like the real runbook (cp, not mkdir)', async () => {
    const f = await fixture();
    const dry = await runCli(['phase', '0', '--dry-run', '--json', ...f.vars], { cwd: f.ws });
    const preview = json<{ runbook: { preview: string } }>(dry).runbook.preview;
    expect(preview).not.toMatch(/mkdir -p [^\n]*app\.ini/);
    expect(preview).toMatch(/cp -p [^\n]*app\.ini/);
  });

  it('steps run from the workspace: a relative cwd works with --cwd from another folder; a missing --cwd is exit 2', async () => {
    const f = await fixture();
    mkdirSync(join(f.ws, 'rel'));
    writeFileSync(
      planFile(f),
      readFileSync(planFile(f), 'utf8').replace(
        '      - id: maybe_slow\n',
        '      - { id: relative, run: [sh, -c, "pwd > marker"], cwd: rel }\n      - id: maybe_slow\n',
      ),
    );
    const parent = join(f.ws, '..');
    const r = await runCli(['phase', '0', '--yes', '--cwd', f.ws, ...f.vars], { cwd: parent });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(f.ws, 'rel', 'marker'), 'utf8').trim()).toBe(join(f.ws, 'rel'));
    const missing = await runCli(['status', '--cwd', '/nonexistent/ws'], { cwd: parent });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--cwd \/nonexistent\/ws: no such folder/);
    const empty = tempDir();
    const noWs = await runCli(['phase', '0', '--yes', '--cwd', empty], { cwd: parent });
    expect(noWs.code).toBe(2);
    expect(noWs.stderr).toMatch(/holds no workspace/);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('a killed run’s step is stopped by the next command that takes the lock, which says so first', async () => {
    const f = await fixture();
    let child: { kill(sig: string): void; pid?: number } | undefined;
    const running = runCli(['phase', '0', '--yes', ...f.vars, '--var', 'slow=31'], {
      cwd: f.ws,
      onSpawn: (c) => {
        child = c;
      },
    });
    let pgid: number | undefined;
    try {
      await waitFor(() => {
        try {
          pgid = lastRun(f).steps.find((s) => s.id === 'maybe_slow' && s.status === 'running')?.pgid;
          return pgid !== undefined;
        } catch {
          return false;
        }
      });
      child!.kill('SIGKILL');
      await running;
      expect(processesRunning('sleep\u000031\u0000').length).toBe(1);
      const rb = await runCli(['rollback', '--yes'], { cwd: f.ws });
      expect(rb.code, rb.stderr).toBe(0);
      // Said before anything else happens (after the notice that the dead holder's lock was taken over).
      const lines = rb.stderr.split('\n');
      const notice = lines.findIndex((l) =>
        /step maybe_slow of run .* is still running \(process group \d+\).*stopping it/.test(l),
      );
      expect(notice).toBeGreaterThanOrEqual(0);
      expect(notice).toBeLessThanOrEqual(1);
      expect(processesRunning('sleep\u000031\u0000')).toEqual([]);
    } finally {
      if (pgid !== undefined)
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {}
    }
  });

  it('--resume after the plan file changed is refused (exit 2) naming the change', async () => {
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
        return lastRun(f).steps.some((s) => s.id === 'maybe_slow' && s.status === 'running');
      } catch {
        return false;
      }
    });
    child!.kill('SIGINT');
    expect((await running).code).toBe(130);
    writeFileSync(
      planFile(f),
      readFileSync(planFile(f), 'utf8').replace('id: maybe_fail', 'id: maybe_fail_renamed'),
    );
    const r = await runCli(['phase', '0', '--resume', '--yes'], { cwd: f.ws });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/plan .*plan\.yaml: sha256 .* \(the file changed\)/);
  });

  it('an unknown --var or --ack is exit 2 listing the known names', async () => {
    const f = await fixture();
    const v = await runCli(['phase', '0', '--dry-run', ...f.vars, '--var', 'prot=1'], { cwd: f.ws });
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/--var prot: not a var of .* \(known: .*port/);
    const a = await runCli(['phase', '0', '--dry-run', ...f.vars, '--ack', 'team'], { cwd: f.ws });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--ack team: phase 0 has no ack check of that id \(known: none\)/);
  });

  it('after `phase 3 --force` from none, status does not call phase 0 applied; rollback returns to none', async () => {
    const f = await fixture();
    expect((await yes(f, ['phase', '3', '--force'])).code).toBe(0);
    const status = json<{ phases: { id: number; standing: string }[] }>(
      await runCli(['status', '--json', ...f.vars], { cwd: f.ws }),
    );
    expect(status.phases.find((p) => p.id === 0)?.standing).toBe('pending');
    const dry = json<{ items: { phase: number; to: number | null }[] }>(
      await runCli(['rollback', '--dry-run', '--json'], { cwd: f.ws }),
    );
    expect(dry.items.map((i) => [i.phase, i.to])).toEqual([[3, null]]);
  });

  it('a secret var is never written in clear: ledger, lock, logs, failure record, runbook, status, errors', async () => {
    const f = await fixture();
    writeFileSync(
      planFile(f),
      readFileSync(planFile(f), 'utf8')
        .replace('vars:\n', 'secrets: [pw]\nvars:\n  pw: "default-password"\n')
        .replace(
          `'echo "step output before failing"; exit $1', sh, "\${fail_step}"]`,
          `'echo "step output before failing $2"; exit $1', sh, "\${fail_step}", "\${pw}"]`,
        ),
    );
    const secret = 'hunter2-correct-horse';
    const r = await yes(f, [
      'phase',
      '0',
      '--var',
      `pw=${secret}`,
      '--var',
      'fail_step=1',
      '--no-auto-rollback',
    ]);
    expect(r.code, r.stderr).toBe(1);
    const status = await runCli(['status', '--json', '--var', `pw=${secret}`], { cwd: f.ws });
    const bad = await runCli(['phase', '0', '--yes', '--var', `pw=${secret}`, '--var', 'nope=1'], {
      cwd: f.ws,
    });
    const texts = [r.stdout, r.stderr, status.stdout, status.stderr, bad.stderr];
    const files = [...walkTree(join(f.ws, 'migration'))].filter(([, e]) => e.type === 'file').map(([p]) => p);
    for (const p of files) texts.push(readFileSync(join(f.ws, 'migration', p), 'utf8'));
    expect(files.some((p) => p.startsWith('logs/'))).toBe(true);
    expect(files.some((p) => p.startsWith('failures/'))).toBe(true);
    for (const t of texts) expect(t).not.toContain(secret);
    expect(readFileSync(join(f.ws, 'migration', 'state.json'), 'utf8')).toContain('pw=***');
  });
});

describe('saved plans: phase --dry-run --out, apply FILE', () => {
  it('applies exactly the saved plan; refuses (exit 2, nothing changed) once the plan file or a var changed', async () => {
    const f = await fixture();
    const saved = join(f.ws, 'phase-0.plan.json');
    const dry = await runCli(['phase', '0', '--dry-run', '--out', saved, ...f.vars], { cwd: f.ws });
    expect(dry.code, dry.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(saved, 'utf8'));
    expect(doc).toMatchObject({ format: 'gnr-migrate/run-plan', command: 'phase', phase: 0 });
    expect(doc.sha256).toMatch(/^[0-9a-f]{64}$/);

    // Another var on the command line: refused, nothing done.
    const other = await runCli(['apply', saved, '--var', 'port=1'], { cwd: f.ws });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/var port: .* → "1"/);

    // The plan file changed: refused with the difference, nothing changed.
    const original = readFileSync(planFile(f), 'utf8');
    writeFileSync(planFile(f), `${original}# edited\n`);
    const before = snapshot(f);
    const changed = await runCli(['apply', saved], { cwd: f.ws });
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/things changed since the plan was saved[\s\S]*inputs\.planHash/);
    expect(snapshot(f)).toEqual(before);
    expect(existsSync(join(f.ws, 'migration', 'state.json'))).toBe(false);

    writeFileSync(planFile(f), original);
    const applied = await runCli(['apply', saved, '--json'], { cwd: f.ws });
    expect(applied.code, applied.stderr).toBe(0);
    expect(readState(f.ws).current).toBe(0);
    // The ledger moved: the same saved plan is refused now.
    const again = await runCli(['apply', saved], { cwd: f.ws });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/ledger\./);

    // The same for a rollback.
    const rbFile = join(f.ws, 'rollback.plan.json');
    expect((await runCli(['rollback', '--dry-run', '--out', rbFile], { cwd: f.ws })).code).toBe(0);
    const rb = await runCli(['apply', rbFile], { cwd: f.ws });
    expect(rb.code, rb.stderr).toBe(0);
    expect(readState(f.ws).current).toBeNull();
  });
});
