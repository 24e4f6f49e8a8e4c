import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, repoRoot, runCli } from '../helpers/cli.js';
import { minimalPlan } from '../helpers/plan.js';
import { tempDir } from '../helpers/tmp.js';
import { walkTree } from '../helpers/tree.js';

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function workspaceWithPlan(text: string | Buffer): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'migration'));
  writeFileSync(join(dir, 'migration', 'plan.yaml'), text);
  return dir;
}

describe('status, plan, init in an empty folder (the embedded default plan)', () => {
  it('status draws the path and the default plan', async () => {
    const dir = tempDir();
    const r = await runCli(['status'], { cwd: dir });
    expect(r.code).toBe(0);
    // The result goes to stdout (`status | head -3` works); nothing on stderr.
    expect(r.stdout).toMatch(/embedded default/);
    expect(r.stdout).toMatch(/○\s+0\s/);
    expect(r.stdout).toMatch(/⊘\s+1\s/);
    expect(r.stdout).toMatch(/Current phase: none applied yet · next: 0/);
    expect(r.stderr).toBe('');
    const j = json(await runCli(['status', '--json'], { cwd: dir }));
    expect(j).toMatchObject({ current: null, next: 0, path: [0, 3, 4, 5, 6, 7], backups: 0, failures: 0 });
    expect(walkTree(dir).size).toBe(0);
  });

  it('plan, plan validate, plan schema', async () => {
    const dir = tempDir();
    const shown = await runCli(['plan', '--json'], { cwd: dir });
    expect(shown.code).toBe(0);
    expect(json(shown)).toMatchObject({ isDefault: true, path: [0, 3, 4, 5, 6, 7] });
    const valid = await runCli(['plan', 'validate'], { cwd: dir });
    expect(valid.code).toBe(0);
    expect(valid.stderr).toMatch(/valid/);
    const schema = json(await runCli(['plan', 'schema'], { cwd: dir }));
    expect(schema.$schema).toMatch(/json-schema/);
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'project', 'path', 'phases']));
  });

  it('init writes the plan with a schema header and refuses to overwrite without --force', async () => {
    const dir = tempDir();
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code).toBe(0);
    const plan = readFileSync(join(dir, 'migration', 'plan.yaml'), 'utf8');
    expect(plan.split('\n')[0]).toBe('# yaml-language-server: $schema=./plan.schema.json');
    expect(JSON.parse(readFileSync(join(dir, 'migration', 'plan.schema.json'), 'utf8')).title).toBe(
      'gnr-migrate plan',
    );
    expect((await runCli(['plan', 'validate'], { cwd: dir })).code).toBe(0);
    const again = await runCli(['init'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; use --force/);
    expect((await runCli(['init', '--force'], { cwd: dir })).code).toBe(0);
    const status = json(await runCli(['status', '--json', '--cwd', dir], { cwd: tempDir() }));
    expect(status.planIsDefault).toBe(false);
  });

  it('finds the workspace from a subfolder, like git', async () => {
    const dir = workspaceWithPlan(minimalPlan);
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    const j = json(await runCli(['status', '--json'], { cwd: join(dir, 'a', 'b') }));
    expect(j.project).toBe('acme');
  });

  it('works in the repository root', async () => {
    const r = await runCli(['plan', 'validate', 'migration/plan.yaml'], { cwd: repoRoot });
    expect(r.code).toBe(0);
    expect((await runCli(['status'], { cwd: repoRoot })).code).toBe(0);
  });

  it('--help shows examples and exit codes; --version answers', async () => {
    const help = await runCli(['--help'], { cwd: tempDir() });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    expect(help.stdout).toMatch(/Exit codes:/);
    const version = await runCli(['--version'], { cwd: tempDir() });
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version,
    );
  });
});

describe('bad input: exit 2, a message naming the place, no file changed', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['malformed YAML', 'version: 1\nproject: [acme\n', /plan\.yaml:\d+:\d+: YAML syntax/],
    [
      'a wrong type',
      minimalPlan.replace('title: Zero', 'title: Zero\n    deferred: 3'),
      /plan\.yaml:11:5: phases\[0\]\.deferred: expected boolean/,
    ],
    [
      'an unknown key',
      minimalPlan.replace('backup: [cfg]', 'bakup: [cfg]'),
      /plan\.yaml:11:5: phases\[0\]\.bakup: unknown key "bakup" \(did you mean "backup"\?\)/,
    ],
    [
      'a duplicate phase id',
      minimalPlan.replace('  - id: 3\n', '  - id: 0\n'),
      /phases\[1\]\.id: duplicate phase id 0/,
    ],
    [
      'an unknown system',
      minimalPlan.replace('backup: [cfg]', 'backup: [site]'),
      /plan\.yaml:11:\d+: phases\[0\]\.backup\[0\]: unknown system "site"/,
    ],
    [
      'an undefined var',
      minimalPlan.replace('"${root}"]', '"${instance}"]'),
      /phases\[0\]\.steps\[0\]\.run\[1\]: \$\{instance\} has no value/,
    ],
    ['an empty file', '', /plan\.yaml:1:1: the plan file is empty/],
    [
      'a non-UTF-8 file',
      Buffer.concat([Buffer.from('version: 1\nproject: '), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
      /plan\.yaml:2:1: not valid UTF-8/,
    ],
  ];
  for (const [name, text, message] of cases) {
    it(name, async () => {
      const dir = workspaceWithPlan(text);
      const before = walkTree(dir);
      for (const args of [['status'], ['plan'], ['plan', 'validate']]) {
        const r = await runCli(args, { cwd: dir });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(message);
      }
      const j = await runCli(['plan', 'validate', '--json'], { cwd: dir });
      expect(j.code).toBe(2);
      expect(json(j).ok).toBe(false);
      expect(walkTree(dir)).toEqual(before);
    });
  }

  it('a corrupt state.json: exit 2, never overwritten', async () => {
    const dir = workspaceWithPlan(minimalPlan);
    writeFileSync(join(dir, 'migration', 'state.json'), '{"version":1,"runs":[');
    const before = walkTree(dir);
    const r = await runCli(['status'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/state\.json: the ledger is corrupt/);
    expect(walkTree(dir)).toEqual(before);
  });

  it('an unknown --env, a bad --var, an unknown command', async () => {
    const dir = workspaceWithPlan(minimalPlan);
    expect((await runCli(['status', '--env', 'nope'], { cwd: dir })).stderr).toMatch(
      /--env nope: no such environment/,
    );
    expect((await runCli(['status', '--var', 'novalue'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['frobnicate'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['plan', 'validate', 'missing.yaml'], { cwd: dir })).stderr).toMatch(
      /missing\.yaml: no such plan file/,
    );
  });
});

describe('the lock from the command line', () => {
  const lockText = (pid: number) =>
    JSON.stringify({
      id: 'x1',
      pid,
      host: hostname(),
      command: 'gnr-migrate phase 3',
      startedAt: new Date().toISOString(),
      heartbeatAt: new Date().toISOString(),
    });

  it('held by a live process: status names it, unlock is exit 4', async () => {
    const dir = workspaceWithPlan(minimalPlan);
    const child = spawn('sleep', ['30']);
    children.push(child);
    writeFileSync(join(dir, 'migration', '.lock'), lockText(child.pid!));
    const s = await runCli(['status'], { cwd: dir });
    expect(s.stdout).toMatch(new RegExp(`Lock: held by pid ${child.pid}`));
    const u = await runCli(['unlock'], { cwd: dir });
    expect(u.code).toBe(4);
    expect(u.stderr).toMatch(/held by a live process/);
    expect(existsSync(join(dir, 'migration', '.lock'))).toBe(true);
  });

  it('held by a dead process: status calls it stale, unlock removes it', async () => {
    const dir = workspaceWithPlan(minimalPlan);
    const pid = Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString());
    writeFileSync(join(dir, 'migration', '.lock'), lockText(pid));
    expect((await runCli(['status'], { cwd: dir })).stdout).toMatch(/holder is gone \(stale\)/);
    const u = await runCli(['unlock'], { cwd: dir });
    expect(u.code).toBe(0);
    expect(existsSync(join(dir, 'migration', '.lock'))).toBe(false);
  });
});
