import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, repoRoot, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

describe('the README cannot rot', () => {
  it('its plan example is valid and resolves as it says', async () => {
    const yaml = /## The plan[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeTruthy();
    const dir = tempDir();
    mkdirSync(join(dir, 'migration'));
    writeFileSync(join(dir, 'migration', 'plan.yaml'), yaml!);
    const valid = await runCli(['plan', 'validate'], { cwd: dir });
    expect(valid.code, valid.stderr).toBe(0);
    const staging = json<{ phases: { id: number; verify: { port: number }[] }[] }>(
      await runCli(['plan', '--json', '--env', 'staging'], { cwd: dir }),
    );
    expect(staging.phases.find((p) => p.id === 4)!.verify[0]!.port).toBe(40405);
  });

  it('names every command the CLI has, and the CLI has every command it names', async () => {
    const help = (await runCli(['--help'], { cwd: tempDir() })).stdout;
    const commands = [...help.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    for (const c of commands) expect(readme, c).toMatch(new RegExp(`\`${c}\\b`));
  });
});
