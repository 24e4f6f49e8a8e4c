import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('the command line in a shell', () => {
  it('the bare command prints help on stderr and exits 2; --help and help exit 0', async () => {
    const dir = tempDir();
    const bare = await runCli([], { cwd: dir });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/Usage: gnr-migrate/);
    expect(bare.stdout).toBe('');
    expect((await runCli(['backup'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['--help'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['help'], { cwd: dir })).code).toBe(0);
  });

  it("every subcommand's --help lists the global options", async () => {
    const dir = tempDir();
    for (const args of [['status'], ['check'], ['backup', 'list'], ['plan', 'validate'], ['gate']]) {
      const help = (await runCli([...args, '--help'], { cwd: dir })).stdout;
      for (const flag of ['--cwd', '--plan', '--env', '--var', '--json'])
        expect(help, args.join(' ')).toContain(flag);
    }
  });

  it('completion bash completes commands, subcommands and options', async () => {
    const dir = tempDir();
    const script = await runCli(['completion', 'bash'], { cwd: dir });
    expect(script.code).toBe(0);
    writeFileSync(join(dir, 'c.bash'), script.stdout);
    const complete = (...words: string[]) =>
      spawnSync(
        'bash',
        [
          '-c',
          `source c.bash; COMP_WORDS=(gnr-migrate ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _gnr_migrate; echo "\${COMPREPLY[*]}"`,
        ],
        { cwd: dir, encoding: 'utf8' },
      ).stdout.trim();
    expect(complete('st')).toBe('status');
    expect(complete('backup', '').split(' ')).toEqual(
      expect.arrayContaining(['list', 'create', 'restore', '--cwd']),
    );
    expect(complete('check', '--ju')).toBe('--junit');
    expect(complete('plan', 'v')).toBe('validate');
    for (const shell of ['zsh', 'fish']) {
      const s = await runCli(['completion', shell], { cwd: dir });
      expect(s.code).toBe(0);
      expect(s.stdout).toContain('gnr-migrate');
    }
    expect((await runCli(['completion', 'tcsh'], { cwd: dir })).code).toBe(2);
    // The scripts parse in their shells (fish, when installed).
    expect(spawnSync('bash', ['-n', join(dir, 'c.bash')]).status).toBe(0);
  });

  it('--json --events streams NDJSON progress events on stdout, the result last', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'migration'));
    writeFileSync(
      join(dir, 'migration', 'plan.yaml'),
      'version: 1\nproject: ev\npath: [0]\nphases:\n  - { id: 0, title: Zero, checks: [ { id: a, run: [node, -e, "console.log(1)"] }, { id: b, run: [node, -e, "0"] } ] }\n',
    );
    const r = await runCli(['check', '--json', '--events'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; id?: string; data?: { ok: boolean } });
    expect(events[0]).toMatchObject({ event: 'stage', items: [{ id: 'a' }, { id: 'b' }] });
    expect(events.filter((e) => e.event === 'start').map((e) => e.id)).toEqual(['a', 'b']);
    expect(events.filter((e) => e.event === 'finish')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ event: 'result', data: { ok: true } });
  });
});
