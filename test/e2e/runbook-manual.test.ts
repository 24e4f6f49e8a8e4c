import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { managedFixtures } from '../helpers/phase-fixture.js';
import { walkTree } from '../helpers/tree.js';

const fixture = managedFixtures();

const snapshot = (host: string) =>
  [...walkTree(host)].map(([p, e]) => [p, e.type, e.mode, e.sha256 ?? e.target ?? '']);

/** The ```sh blocks of the runbook's manual part, in order. */
function manualShell(runbook: string): string {
  const manual = runbook.slice(
    runbook.indexOf('## Manual rollback'),
    runbook.indexOf('## When to roll back'),
  );
  return [...manual.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

describe('the runbook works without gnr-migrate', () => {
  it('its manual shell lines undo the steps and restore the backups byte for byte', async () => {
    const f = await fixture();
    const before = snapshot(f.host);
    const applied = await runCli(['phase', '0', '--yes', ...f.vars], { cwd: f.ws });
    expect(applied.code, applied.stderr).toBe(0);
    expect(snapshot(f.host)).not.toEqual(before);

    const script = manualShell(readFileSync(join(f.ws, 'migration', 'rollback', 'phase-0.md'), 'utf8'));
    expect(script).toContain('rsync -a --delete');
    expect(script).toContain('python3 -c');
    // A shell with no gnr-migrate anywhere: only the system's own tools.
    const r = spawnSync('sh', ['-e', '-c', script], {
      cwd: f.ws,
      encoding: 'utf8',
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/OK/);
    const after = snapshot(f.host);
    const differ = after.filter((e, i) => JSON.stringify(e) !== JSON.stringify(before[i])).map((e) => e[0]);
    expect(differ, script).toEqual([]);
    expect(after).toEqual(before);
    expect(existsSync(f.pidFile)).toBe(false); // the undo stopped the listener
  });
});
