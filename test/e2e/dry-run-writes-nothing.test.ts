import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { walkTree } from '../helpers/tree.js';

/** names, types, sizes, modes and mtimes of every entry (no hashing: mtimes catch a rewrite). */
function snapshot(dir: string) {
  return [...walkTree(dir, false).entries()];
}

/**
 * A workspace where phase 3 would proceed (phase 0 is current, every check passes) and phase 4
 * would be blocked (3 is not applied, and a check fails). A git repository, so `git_clean`
 * runs `git status` for real: it must not even refresh the index.
 */
function workspace(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'migration'));
  mkdirSync(join(dir, 'site', 'data'), { recursive: true });
  writeFileSync(join(dir, 'site', 'data', 'pages.db'), 'x'.repeat(1000));
  writeFileSync(join(dir, 'site', 'siteconfig.xml'), '<site/>');
  writeFileSync(
    join(dir, 'migration', 'plan.yaml'),
    `version: 1
project: quiet
path: [0, 3, 4]
systems:
  site: { path: "site" }
vars:
  name: "two words"
phases:
  - id: 0
  - id: 3
    title: Would proceed
    backup: [site]
    checks:
      - { id: prev, builtin: previous_phase_applied }
      - { id: clean, builtin: git_clean }
      - { id: disk, builtin: disk_space }
      - { id: backup, builtin: backup_exists }
      - { id: runbook, builtin: rollback_plan }
      - { id: noint, builtin: no_interrupted_run }
      - { id: conf, file: site/siteconfig.xml, contains: "<site" }
      - { id: cmd, run: [sh, -c, "echo checking"] }
      - { id: team, ack: "Team notified?" }
    steps:
      - { id: touch, run: [touch, site/changed], undo: { run: [rm, -f, site/changed] } }
    verify:
      - { id: touched, file: site/changed }
  - id: 4
    title: Would be blocked
    backup: [site]
    checks:
      - { id: missing, file: site/nope.xml }
    steps:
      - { id: write, shell: "echo x > site/x" }
`,
  );
  writeFileSync(
    join(dir, 'migration', 'state.json'),
    `${JSON.stringify({ version: 1, current: 0, planHash: null, runs: [] }, null, 2)}\n`,
  );
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
      cwd: dir,
      stdio: 'ignore',
    });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'deploy repo');
  return dir;
}

describe('phase --dry-run writes nothing', () => {
  it('for a phase that would proceed (exit 0), with and without --json', async () => {
    const dir = workspace();
    const before = snapshot(dir);
    const human = await runCli(['phase', '3', '--dry-run'], { cwd: dir });
    expect(human.stderr).toContain('Would proceed.');
    expect(human.code).toBe(0);
    const machine = await runCli(['phase', '3', '--dry-run', '--json', '--ack', 'team'], { cwd: dir });
    expect(machine.code).toBe(0);
    expect(json<{ wouldProceed: boolean }>(machine).wouldProceed).toBe(true);
    expect(snapshot(dir)).toEqual(before);
  });

  it('for a phase that would be blocked (exit 1), with and without --json', async () => {
    const dir = workspace();
    const before = snapshot(dir);
    const human = await runCli(['phase', '4', '--dry-run'], { cwd: dir });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('Blocked — phase 4 would not start');
    const machine = await runCli(['phase', '4', '--dry-run', '--json'], { cwd: dir });
    expect(machine.code).toBe(1);
    const doc = json<{ blockedBy: string[] }>(machine);
    expect(doc.blockedBy).toEqual([
      'order: phase 4 needs phase 3 applied first (current: 0). Run `gnr-migrate phase 3` first, or pass --force.',
      `check missing: file ${join(dir, 'site/nope.xml')}: not found`,
    ]);
    expect(snapshot(dir)).toEqual(before);
  });

  it('even with a live lock in place and no migration/ folder at all', async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'migration', '.lock'),
      JSON.stringify({
        id: 'abc',
        pid: process.pid,
        host: hostname(),
        command: 'gnr-migrate phase 3',
        startedAt: new Date().toISOString(),
        heartbeatAt: new Date().toISOString(),
      }),
    );
    const before = snapshot(dir);
    const locked = await runCli(['phase', '3', '--dry-run', '--json'], { cwd: dir });
    expect(locked.code).toBe(1);
    expect(json<{ blockedBy: string[] }>(locked).blockedBy[0]).toMatch(
      /^lock: the workspace is locked by pid \d+ .*; the run would exit 4$/,
    );
    expect(snapshot(dir)).toEqual(before);

    // The embedded default plan in an empty folder: an honest "blocked", and still nothing written.
    const empty = tempDir();
    // The default plan runs pytest in the workspace: the pytest-benchmark plugin, where it is
    // installed, creates .benchmarks/ in the current folder whatever the arguments (reported to
    // the plan's owner: `-p no:benchmark` in tests_passing stops it).
    const r = await runCli(['phase', '0', '--dry-run'], {
      cwd: empty,
      env: { GENRO_GNRFOLDER: join(empty, 'gnr'), PYTEST_ADDOPTS: '-p no:benchmark' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Blocked — phase 0 would not start');
    expect(readdirSync(empty)).toEqual([]);
  });
});
