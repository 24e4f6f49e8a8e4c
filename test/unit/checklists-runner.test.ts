import { describe, expect, it } from 'vitest';
import { runChecklist } from '../../src/checklists/index.js';
import { InputError } from '../../src/core/errors.js';
import type { ProcessRequest, ProcessResult, ProcessRunner } from '../../src/core/process.js';
import { contextFor, planIn } from '../helpers/checklists.js';
import { tempDir } from '../helpers/tmp.js';

/** A fake runner that holds each command until released, and counts how many run at once. */
function gatedRunner() {
  let running = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  const started: string[] = [];
  const runner: ProcessRunner = async (req: ProcessRequest): Promise<ProcessResult> => {
    running++;
    peak = Math.max(peak, running);
    started.push(req.argv?.[1] ?? '');
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      req.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    running--;
    const aborted = Boolean(req.signal?.aborted);
    return {
      exitCode: aborted ? null : Number(req.argv?.[1] ?? 0) % 2,
      signal: aborted ? 'SIGTERM' : null,
      timedOut: false,
      aborted,
      durationMs: 1,
      stdout: '',
      stderr: '',
      tail: '',
    };
  };
  return {
    runner,
    started,
    get peak() {
      return peak;
    },
    releaseNewest(): void {
      waiting.pop()?.();
    },
  };
}

const tenChecks = `
version: 1
project: t
path: [0]
phases:
  - id: 0
    checks:
${Array.from({ length: 10 }, (_, i) => `      - { id: c${i}, run: [work, "${i}"] }`).join('\n')}
`;

describe('runChecklist', () => {
  it('runs at most `concurrency` checks at once and reports in plan order', async () => {
    const dir = tempDir();
    const plan = await planIn(dir, tenChecks);
    const gate = gatedRunner();
    const done = runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0, { runner: gate.runner }), {
      concurrency: 3,
    });
    // Release the newest held command first, so checks finish out of plan order.
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) {
      gate.releaseNewest();
      await new Promise((r) => setTimeout(r, 1));
    }
    const outcome = await done;
    expect(gate.peak).toBe(3);
    expect(outcome.results.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));
    // odd numbers exit 1 in the fake
    expect(outcome.blocking.map((r) => r.id)).toEqual(['c1', 'c3', 'c5', 'c7', 'c9']);
  });

  it('refuses a concurrency below 1 (exit 2)', async () => {
    const dir = tempDir();
    const plan = await planIn(dir, tenChecks);
    await expect(
      runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0), { concurrency: 0 }),
    ).rejects.toThrow(InputError);
  });

  it('on abort, stops the running checks and reports the others as not run', async () => {
    const dir = tempDir();
    const plan = await planIn(dir, tenChecks);
    const gate = gatedRunner();
    const controller = new AbortController();
    const done = runChecklist(
      plan.phases[0]!.checks,
      contextFor(dir, plan, 0, { runner: gate.runner, signal: controller.signal }),
      { concurrency: 2 },
    );
    await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('SIGINT'));
    const outcome = await done;
    expect(gate.started.length).toBe(2);
    expect(
      outcome.results.slice(0, 2).every((r) => r.status === 'error' && /interrupted/.test(r.reason)),
    ).toBe(true);
    expect(outcome.results.slice(2).every((r) => r.reason === 'not run: interrupted')).toBe(true);
    expect(outcome.passed).toBe(false);
  });

  it('calls onStart and onResult once per started check', async () => {
    const dir = tempDir();
    const plan = await planIn(
      dir,
      `
version: 1
project: t
path: [0]
phases:
  - id: 0
    checks: [{ id: a, env: HOME }, { id: b, env: NOPE_GNRM }]
`,
    );
    const events: string[] = [];
    await runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0), {
      concurrency: 1,
      onStart: (c) => events.push(`start ${c.id}`),
      onResult: (c, r) => events.push(`${r.status} ${c.id}`),
    });
    expect(events).toEqual(['start a', 'pass a', 'start b', 'fail b']);
  });
});
