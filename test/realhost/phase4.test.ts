import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { FailureRecord } from '../../src/ledger/failure.js';
import { json, runCli } from '../helpers/cli.js';
import { fingerprint, get, gnrWebEntryPoints, host, onHost, rehearsalEnv } from './host.js';

interface PlanFile {
  phases: { id: number; checks?: { id: string; ack?: string }[] }[];
}

/**
 * Phase 4 of the default plan, rehearsed on the real programs: the plan written by
 * `init --detect`, its checklist, then `phase 4 --force`, which goes as far as the real host
 * allows (genropy-asgi installs, its server cannot start: no pydantic 2 on Debian 12), rolls
 * back by itself and leaves the host exactly as it was.
 */
describe.skipIf(!host)('phase 4 on the real host', () => {
  // Collected even when skipped: nothing here may touch `host` before the tests run.
  const h = host!;
  let ws = '';
  const cli = (args: string[], timeoutMs = 600_000) =>
    runCli(args, { cwd: ws, env: rehearsalEnv(h), timeoutMs });
  // What a rollback must give back byte for byte: $GNRCFG (with the supervisord file), the
  // instance configuration (with gunicorn's), nginx's files.
  const watched = () => [
    h.paths.gnrcfg!,
    join(h.paths.instanceDir!, 'config'),
    h.paths.nginxConf!,
    h.paths.nginxSite!,
  ];
  let acks: string[] = [];
  let before: Record<string, string> = {};
  beforeAll(() => {
    ws = mkdtempSync(join(tmpdir(), 'gnrm-phase4-'));
  });
  afterAll(() => {
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it('init --detect writes a plan for this host; check --phase 4 passes with its acks', async () => {
    const init = await cli(['init', '--detect']);
    expect(init.code, init.stderr).toBe(0);
    const plan = parse(readFileSync(join(ws, 'migration/plan.yaml'), 'utf8')) as PlanFile;
    acks = (plan.phases.find((p) => p.id === 4)?.checks ?? []).filter((c) => c.ack).map((c) => c.id);
    const check = await cli(['check', '--phase', '4', ...acks.flatMap((a) => ['--ack', a]), '--json']);
    const report = json<{ checks?: { id: string; status: string; message?: string }[] }>(check);
    const failed = (report.checks ?? []).filter((c) => c.status !== 'pass' && c.status !== 'warn');
    expect(failed, check.stderr).toEqual([]);
    expect(check.code, check.stderr).toBe(0);
  });

  it('phase 4 --force runs on the real programs until the new server cannot start, rolls back, exits 1', async () => {
    before = fingerprint(watched());
    const run = await cli(['phase', '4', '--force', '--yes', ...acks.flatMap((a) => ['--ack', a])]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(1);
    // The record says where it stopped: the new server, after genropy-asgi was installed (the
    // entry-point switch is real here) — and that the rollback undid it and succeeded.
    const dir = join(ws, 'migration/failures');
    const records = readdirSync(dir).map(
      (f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as FailureRecord,
    );
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record!.kind).toBe('step');
    expect(['start_asgi', 'wait_asgi']).toContain(record!.step?.id);
    expect(record!.rollback.outcome, JSON.stringify(record!.rollback)).toBe('succeeded');
    expect(record!.rollback.undone).toContain('install_genropy_asgi');
    const state = JSON.parse(readFileSync(join(ws, 'migration/state.json'), 'utf8')) as {
      current: number | null;
      runs: { kind: string; steps: { id: string; stage: string; status: string }[] }[];
    };
    const applied = state.runs.find((r) => r.kind === 'phase')!.steps;
    for (const id of ['save_registers', 'disable_daemon', 'install_genropy_asgi']) {
      expect(applied.find((s) => s.id === id && s.stage === 'step')?.status, id).toBe('succeeded');
    }
    // A rollback after --force returns to where the ledger was before the run: nothing applied.
    expect(state.current).toBeNull();
  });

  it('leaves the host as it was: / 200 through nginx, gnrdaemon alive with the site, no gnr.web entry point, files identical', async () => {
    const root = await get(h.url);
    expect(root.status).toBe(200);
    expect(root.cookie).toMatch(new RegExp(`^${h.site}=`));
    const ping = onHost(h, ['gnr', 'web', 'daemon', '-C', 'ping']);
    expect(ping.stdout.trim(), ping.stderr).toBe('ping');
    const regs = onHost(h, ['gnr', 'web', 'daemon', '-C', 'siteRegisters']);
    expect(regs.stdout).toContain(`('${h.site}', {`);
    expect(regs.stdout).toContain("'is_alive': True");
    expect(gnrWebEntryPoints(h)).toEqual([]);
    expect(fingerprint(watched())).toEqual(before);
  });
});
