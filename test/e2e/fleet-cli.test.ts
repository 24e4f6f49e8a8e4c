import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, repoRoot, runCli } from '../helpers/cli.js';
import { minimalPlan } from '../helpers/plan.js';
import { tempDir } from '../helpers/tmp.js';

/** The fleet commands' input handling, with no Ansible needed (the real runs: test/fleet/). */

function workspace(plan = minimalPlan): string {
  const dir = tempDir('gnrm-fleet-cli-');
  mkdirSync(join(dir, 'migration'));
  writeFileSync(join(dir, 'migration', 'plan.yaml'), plan);
  return dir;
}

describe('fleet commands', () => {
  it("the README's fleet: section is a valid plan section", async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = /## Fleet[\s\S]*?```yaml\n(fleet:[\s\S]*?)```/.exec(readme)?.[1];
    expect(section).toBeTruthy();
    const dir = workspace(`${minimalPlan}${section}`);
    const valid = await runCli(['plan', 'validate'], { cwd: dir });
    expect(valid.code, valid.stderr).toBe(0);
  });

  it('a typo in the fleet: section is bad input naming the key', async () => {
    const dir = workspace(`${minimalPlan}fleet:\n  waves:\n    - { name: pilot, hostz: P0 }\n`);
    const r = await runCli(['plan', 'validate'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/fleet\.waves\[0\]/);
  });

  it('no inventory: exit 2 naming where it looked; nothing written', async () => {
    const dir = workspace();
    const r = await runCli(['fleet', 'phase', '0', '--dry-run'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(dir, 'migration', 'fleet', 'inventory.yaml'));
    const bad = await runCli(['fleet', 'phase', '0', '--waves', '1,x'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"x" is not a number of hosts/);
    const rb = await runCli(['fleet', 'rollback'], { cwd: dir });
    expect(rb.code).toBe(2);
    expect(rb.stderr).toMatch(/--wave NAME, --hosts PATTERN, --all/);
  });

  it('status of a fleet never run: the KPIs at zero, exit 0', async () => {
    const r = await runCli(['fleet', 'status', '--json'], { cwd: workspace() });
    expect(r.code).toBe(0);
    expect(json<{ kpis: { systemsTotal: number }; lastRun: null }>(r)).toMatchObject({
      kpis: { systemsTotal: 0 },
      lastRun: null,
    });
  });

  it('a corrupt fleet ledger is bad input naming the file', async () => {
    const dir = workspace();
    mkdirSync(join(dir, 'migration', 'fleet'));
    writeFileSync(join(dir, 'migration', 'fleet', 'state.json'), '{"version": 2}');
    const r = await runCli(['fleet', 'status'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/state\.json: not a fleet ledger/);
  });
});
