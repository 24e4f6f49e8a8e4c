import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChecklist } from '../../src/checklists/index.js';
import { contextFor, planIn, waitDead } from '../helpers/checklists.js';
import { tempDir } from '../helpers/tmp.js';

const phaseWith = (checks: string) => `
version: 1
project: t
path: [0]
phases:
  - id: 0
    checks:
${checks}
`;

describe('run and shell checks (real processes)', () => {
  it('passes on the expected exit code and stdout, fails with the last line of output', async () => {
    const dir = tempDir();
    const plan = await planIn(
      dir,
      phaseWith(`
      - { id: ok, run: [sh, -c, "echo pong"], expect: { stdout: "^pong$" } }
      - { id: exit1, run: [sh, -c, "echo 'ModuleNotFoundError: gnr' >&2; exit 1"] }
      - { id: exit3, run: [sh, -c, "exit 3"], expect: { exit: 3 } }
      - { id: wrongout, run: [echo, nope], expect: { stdout: ping } }
      - { id: shell, shell: "echo a | tr a b", expect: { stdout: "^b$" } }
      - { id: argv, run: [sh, -c, 'test "$1" = "a b;c"', x, "a b;c"] }
`),
    );
    const outcome = await runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0), { concurrency: 4 });
    const by = Object.fromEntries(outcome.results.map((r) => [r.id, r]));
    expect(outcome.results.map((r) => r.id)).toEqual(['ok', 'exit1', 'exit3', 'wrongout', 'shell', 'argv']);
    expect(by.ok?.status).toBe('pass');
    expect(by.exit1?.status).toBe('fail');
    expect(by.exit1?.reason).toContain('exit 1, expected 0: ModuleNotFoundError: gnr');
    expect(by.exit1?.outputTail).toContain('ModuleNotFoundError');
    expect(by.exit3?.status).toBe('pass');
    expect(by.wrongout?.status).toBe('fail');
    expect(by.wrongout?.reason).toContain('does not match /ping/');
    expect(by.shell?.status).toBe('pass');
    // argv elements are passed as they are: a space or ';' is never re-split or shell-parsed.
    expect(by.argv?.status).toBe('pass');
    expect(outcome.passed).toBe(false);
    expect(outcome.blocking.map((r) => r.id)).toEqual(['exit1', 'wrongout']);
  });

  it('kills the whole process tree on timeout and reports timeout', async () => {
    const dir = tempDir();
    const plan = await planIn(
      dir,
      phaseWith(`
      - id: hang
        timeout: 500ms
        shell: 'echo $$ > leader.pid; sleep 60 & echo $! > child.pid; wait'
`),
    );
    const outcome = await runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0), { concurrency: 1 });
    const r = outcome.results[0]!;
    expect(r.status).toBe('timeout');
    expect(r.blocking).toBe(true);
    expect(r.reason).toContain('process tree was killed');
    const leader = Number(readFileSync(join(dir, 'leader.pid'), 'utf8'));
    const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    expect(await waitDead(leader)).toBe(true);
    expect(await waitDead(child)).toBe(true);
  });

  it('reports a program that does not exist as error, with what to do', async () => {
    const dir = tempDir();
    const plan = await planIn(dir, phaseWith('      - { id: missing, run: [no-such-program-gnrm] }'));
    const outcome = await runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0), { concurrency: 1 });
    expect(outcome.results[0]?.status).toBe('error');
    expect(outcome.results[0]?.reason).toMatch(/program not found: no-such-program-gnrm/);
  });

  it('streams output to onOutput, and to check-<id>.log only when a log folder is given', async () => {
    const dir = tempDir();
    const plan = await planIn(
      dir,
      phaseWith('      - { id: talk, run: [sh, -c, "echo one; echo two >&2"] }'),
    );
    const lines: string[] = [];
    await runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0), {
      concurrency: 1,
      onOutput: (_c, line) => lines.push(line),
    });
    expect(lines.sort()).toEqual(['one', 'two']);
    expect(existsSync(join(dir, 'migration', 'logs'))).toBe(false);

    const logDir = join(dir, 'migration', 'logs', 'run-1');
    const outcome = await runChecklist(
      plan.phases[0]!.checks,
      contextFor(dir, plan, 0, { mode: 'apply', logDir }),
      {
        concurrency: 1,
      },
    );
    expect(outcome.results[0]?.log).toBe(join(logDir, 'check-talk.log'));
    const log = readFileSync(join(logDir, 'check-talk.log'), 'utf8');
    expect(log).toContain('one');
    expect(log).toContain('two');
  });

  it('runs commands in the workspace by default, and in cwd relative to it', async () => {
    const dir = tempDir();
    const plan = await planIn(
      dir,
      phaseWith(`
      - { id: here, run: [test, -d, migration] }
      - { id: sub, run: [test, -f, plan.yaml], cwd: migration }
`),
    );
    const outcome = await runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0), { concurrency: 2 });
    expect(outcome.results.map((r) => r.status)).toEqual(['pass', 'pass']);
  });
});
