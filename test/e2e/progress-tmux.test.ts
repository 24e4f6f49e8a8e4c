import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { binPath } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * On a real terminal (tmux), a check that hangs shows its elapsed time growing, and checks not
 * started yet wait without a spinner. Read with `tmux capture-pane`, polled (no fixed sleeps
 * decide the outcome).
 */
const hasTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;
const session = `gnrm-${process.pid}`;
// A server of its own (-S), not the user's default one, and nothing left in /tmp/tmux-<uid>.
const socketDir = mkdtempSync(join(tmpdir(), 'gnrm-tmux-'));
const tmux = (...args: string[]) =>
  spawnSync('tmux', ['-S', join(socketDir, 'server'), ...args], { encoding: 'utf8' });

afterAll(() => {
  if (hasTmux) tmux('kill-server');
  rmSync(socketDir, { recursive: true, force: true });
});

afterEach(async () => {
  if (!hasTmux) return;
  // Ctrl-C first, so the tool kills its checks' process trees (closing the pane would not).
  tmux('send-keys', '-t', session, 'C-c', '');
  for (
    let i = 0;
    i < 40 && !/interrupted by SIGINT/.test(tmux('capture-pane', '-p', '-t', session).stdout);
    i++
  )
    await new Promise((r) => setTimeout(r, 250));
  tmux('kill-session', '-t', session);
});

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const v = probe();
    if (v !== undefined) return v;
    last = tmux('capture-pane', '-p', '-t', session).stdout;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not show; the pane was:\n${last}`);
}

describe.skipIf(!hasTmux)('live progress in tmux', () => {
  it("a hanging check's elapsed time grows; waiting checks do not spin", async () => {
    const ws = tempDir();
    mkdirSync(join(ws, 'migration'));
    writeFileSync(
      join(ws, 'migration', 'plan.yaml'),
      `version: 1
project: hang
path: [0]
phases:
  - id: 0
    title: Zero
    checks:
      - { id: nginx_t, title: "nginx -t hangs", run: [sleep, "40"], timeout: 60s }
      - { id: slow, title: "slow one", run: [sleep, "40"], timeout: 60s }
      - { id: later, title: "later one", run: [node, -e, "0"] }
`,
    );
    // `env -u CI`: under CI (CI=true, as .ci/run runs) the tool rightly draws plain lines; the
    // pane is a real terminal and is to show the live view.
    const cmd = `cd ${JSON.stringify(ws)} && env -u CI -u GITHUB_ACTIONS ${JSON.stringify(process.execPath)} ${JSON.stringify(binPath)} check --concurrency 2; sleep 60`;
    expect(tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '20', cmd).status).toBe(0);
    const pane = () => tmux('capture-pane', '-p', '-t', session).stdout;
    const elapsed = () => {
      const m = /nginx -t hangs \((\d+)s\)/.exec(pane());
      return m ? Number(m[1]) : undefined;
    };
    const first = await until(() => {
      const s = elapsed();
      return s !== undefined && s >= 1 ? s : undefined;
    }, 'the elapsed time of the hanging check');
    // Two checks run; the third waits, drawn as pending (◼), not spinning.
    expect(pane()).toMatch(/◼ later one/);
    const later = await until(() => {
      const s = elapsed();
      return s !== undefined && s >= first + 2 ? s : undefined;
    }, 'a grown elapsed time');
    expect(later).toBeGreaterThan(first);
  });
});
