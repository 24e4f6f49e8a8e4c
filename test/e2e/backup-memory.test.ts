import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';

/**
 * Bounded memory (issue 13): 100,000 files backed up and restored by a CLI whose heap is capped
 * at 128 MB (`node --max-old-space-size=128`). Before the entries were written as they came
 * (entry-sink.ts) and results were dropped once handed on, the backup died of it (abort).
 * Takes ~20 s on an idle 2-core machine, minutes on a loaded one: hence the long timeout.
 */
describe('backup at 100,000 files in a 128 MB heap', () => {
  it('backs up and restores them', { timeout: 900_000 }, async () => {
    // In memory when the machine has it, and removed here by `rm -rf` (200,000 files are more
    // than the shared afterEach cleanup is given time for on a loaded machine).
    const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'gnrm-e2e-100k-'));
    try {
      await run(root);
    } finally {
      spawnSync('rm', ['-rf', root]);
    }
  });
});

async function run(root: string): Promise<void> {
  const ws = join(root, 'ws');
  const site = join(root, 'site');
  mkdirSync(join(ws, 'migration'), { recursive: true });
  writeFileSync(
    join(ws, 'migration', 'plan.yaml'),
    `version: 1\nproject: e2e\nsystems:\n  site: { path: ${JSON.stringify(site)} }\npath: [0]\nphases:\n  - id: 0\n    title: zero\n    backup: [site]\n`,
  );
  const content = Buffer.alloc(64, 0x61);
  for (let d = 0; d < 2500; d++) {
    const dir = join(site, `d${d % 50}`, `f${d}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, `file-${i}.dat`), content);
  }
  const env = { NODE_OPTIONS: '--max-old-space-size=128' };
  const created = await runCli(['backup', 'create', '--json'], { cwd: ws, env, timeoutMs: 800_000 });
  expect(created.code, created.stderr.slice(-2000)).toBe(0);
  const info = json<{ backups: Array<{ id: string; files: number }> }>(created).backups[0]!;
  expect(info.files).toBe(100_000);
  const to = join(root, 'restored');
  const restored = await runCli(['backup', 'restore', info.id, '--to', to, '--yes'], {
    cwd: ws,
    env,
    timeoutMs: 800_000,
  });
  expect(restored.code, restored.stderr.slice(-2000)).toBe(0);
  expect(readdirSync(join(to, 'd7', 'f2457')).length).toBe(40);
  expect(readFileSync(join(to, 'd49', 'f2499', 'file-39.dat'))).toEqual(content);

  // Changed since: the link farm of the first backup patched as find's listing is walked,
  // on the worker threads of the built program.
  writeFileSync(join(site, 'd3', 'f3', 'file-0.dat'), 'edited\n');
  writeFileSync(join(site, 'd3', 'f3', 'added.dat'), 'added\n');
  rmSync(join(site, 'd4', 'f4'), { recursive: true });
  const again = await runCli(['backup', 'create', '--json'], {
    cwd: ws,
    env: { ...env, GNR_MIGRATE_TRACE: '1' },
    timeoutMs: 800_000,
  });
  expect(again.code, again.stderr.slice(-2000)).toBe(0);
  expect(again.stderr).toMatch(/a link farm patched/);
  const second = json<{ backups: Array<{ id: string; files: number; linkedFiles: number }> }>(again)
    .backups[0]!;
  expect(second.files).toBe(100_000 + 1 - 40);
  expect(second.linkedFiles).toBe(100_000 - 40 - 1);
  const verified = await runCli(['backup', 'verify', second.id], { cwd: ws, env, timeoutMs: 800_000 });
  expect(verified.code, verified.stderr.slice(-2000)).toBe(0);
}
