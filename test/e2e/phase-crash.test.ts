import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';
import { managedFixtures } from '../helpers/phase-fixture.js';
import { walkTree } from '../helpers/tree.js';

const fixture = managedFixtures();

const snapshot = (host: string) =>
  [...walkTree(host)].map(([p, e]) => [p, e.type, e.mode, e.sha256 ?? e.target ?? '']);

/**
 * Where to cut the run: after a delay, or the moment the ledger has been written N times
 * (so some kills land between or inside ledger writes, others inside backups or steps).
 */
type KillPoint = { afterMs: number } | { afterLedgerWrites: number };

const killPoints: KillPoint[] = [
  { afterMs: 0 },
  { afterMs: 150 },
  { afterLedgerWrites: 1 },
  { afterLedgerWrites: 2 },
  { afterLedgerWrites: 3 },
  { afterLedgerWrites: 5 },
  { afterLedgerWrites: 8 },
  { afterLedgerWrites: 11 },
  { afterLedgerWrites: 14 },
  { afterLedgerWrites: 17 },
];

describe('kill -9 at any moment: the ledger parses, the run is interrupted, rollback restores', () => {
  for (const point of killPoints) {
    const name =
      'afterMs' in point
        ? `${point.afterMs} ms after start`
        : `after ${point.afterLedgerWrites} ledger writes`;
    it(`killed ${name}`, async () => {
      const f = await fixture();
      // A big file makes the backup take long enough to be cut in the middle.
      writeFileSync(join(f.host, 'conf', 'big.bin'), Buffer.alloc(24 * 1024 * 1024, 7));
      const before = snapshot(f.host);
      const stateFile = join(f.ws, 'migration', 'state.json');

      let kill: (() => void) | undefined;
      const run = runCli(['phase', '0', '--yes', ...f.vars, '--var', 'slow=1'], {
        cwd: f.ws,
        onSpawn: (child) => {
          kill = () => child.kill('SIGKILL');
        },
      });
      await cutAt(point, stateFile, () => kill?.());
      await run;

      let recorded = false;
      if (existsSync(stateFile)) {
        const state = JSON.parse(readFileSync(stateFile, 'utf8'));
        expect(state.version).toBe(1);
        recorded = state.runs.length > 0;
        // A kill after the final ledger write leaves a finished run; any earlier one, a cut-off run.
        const cutOff = state.runs
          .filter((r: { status: string }) => r.status === 'running')
          .map((r: { id: string }) => r.id);
        const status = json(await runCli(['status', '--json', ...f.vars], { cwd: f.ws }));
        expect((status.interrupted as { id: string }[]).map((r) => r.id)).toEqual(cutOff);
      }

      // Without --var: the rollback uses the inputs the cut-off run recorded.
      const rb = await runCli(['rollback', '--yes'], { cwd: f.ws });
      // Killed before any run was recorded: nothing changed and nothing to roll back (exit 2).
      expect(rb.code, rb.stderr).toBe(recorded ? 0 : 2);
      expect(snapshot(f.host)).toEqual(before);
      if (existsSync(stateFile)) expect(JSON.parse(readFileSync(stateFile, 'utf8')).current).toBeNull();
      expect(existsSync(join(f.ws, 'migration', '.lock'))).toBe(false);
      const list = json(await runCli(['backup', 'list', '--json', ...f.vars], { cwd: f.ws }));
      expect(Array.isArray(list.backups) || Array.isArray(list)).toBe(true);
    });
  }
});

async function cutAt(point: KillPoint, stateFile: string, kill: () => void): Promise<void> {
  if ('afterMs' in point) {
    await new Promise((r) => setTimeout(r, point.afterMs));
    kill();
    return;
  }
  let seen = 0;
  let lastMtime = 0;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const m = statSync(stateFile).mtimeMs;
      if (m !== lastMtime) {
        lastMtime = m;
        seen++;
        if (seen >= point.afterLedgerWrites) break;
      }
    } catch {}
    await new Promise((r) => setImmediate(r));
  }
  kill();
}
