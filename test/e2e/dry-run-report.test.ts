import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

interface Cmd {
  kind: string;
  argv?: string[];
  script?: string;
  commandLine: string;
  cwd?: string;
  env: Record<string, string>;
  timeoutMs: number;
}
interface Report {
  dryRun: true;
  phase: { id: number; title: string };
  current: number | null;
  wouldProceed: boolean;
  blockedBy: string[];
  order: { ok: boolean; rule?: string; reason?: string; note?: string };
  checklist: { mode: string; passed: boolean; results: { id: string; status: string }[] };
  backups: {
    system: string;
    source: string;
    exists?: boolean;
    files?: number;
    bytes?: number;
    destination?: string;
    error?: string;
  }[];
  runbook: { path: string; exists: boolean; preview?: string };
  steps: (Cmd & { id: string; title: string; undo?: Cmd })[];
  rollback: { to: number | null; steps: (Cmd & { id: string })[]; restore: string[] };
  verify: { id: string; what: string }[];
}

function workspace(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'migration'));
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'a.xml'), '<a/>\n');
  writeFileSync(join(dir, 'conf', 'b.xml'), '<b>1234</b>\n');
  writeFileSync(
    join(dir, 'migration', 'plan.yaml'),
    `version: 1
project: shown
path: [0, 3]
systems:
  conf: { path: "conf" }
vars:
  greeting: "hi there"
  port: 8081
phases:
  - id: 0
    title: ASGI wraps WSGI
    backup: [conf]
    checks:
      - { id: conf_a, file: conf/a.xml }
      - { id: say, run: [sh, -c, 'echo "dry-run output"'] }
    steps:
      - id: greet
        title: Greet
        run: [echo, "\${greeting}", "a b", "$HOME", "--port=\${port}"]
        cwd: conf
        env: { GNR_ASGI_PORT: "\${port}" }
        timeout: 2m
        undo: { shell: "echo 'undo \${greeting}' | cat" }
      - { id: plain, shell: "true" }
    verify:
      - { id: heartbeat, http: "http://127.0.0.1:\${port}/sys/heartbeat", expect: { body: ok } }
      - { id: daemon_gone, tcp: "127.0.0.1:40404", expect: closed }
    rollback:
      steps:
        - { id: reload, run: [nginx, -s, reload] }
      notes: Restore nginx.
  - id: 1
    title: Sticky
    deferred: true
  - id: 3
    title: Next
    checks:
      - { id: conf_b, file: conf/b.xml }
`,
  );
  return dir;
}

describe('phase --dry-run report', () => {
  it('shows every step with its exact interpolated argv, undo, rollback, verify, runbook and backups', async () => {
    const dir = workspace();
    const r = await runCli(['phase', '0', '--dry-run', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const doc = json<Report>(r);
    expect(doc.dryRun).toBe(true);
    expect(doc.wouldProceed).toBe(true);
    expect(doc.blockedBy).toEqual([]);
    expect(doc.order).toEqual({ ok: true });
    expect(doc.checklist.mode).toBe('dry-run');
    expect(doc.checklist.results.map((x) => [x.id, x.status])).toEqual([
      ['conf_a', 'pass'],
      ['say', 'pass'],
    ]);
    const [greet, plain] = doc.steps;
    expect(greet).toMatchObject({
      id: 'greet',
      title: 'Greet',
      kind: 'run',
      argv: ['echo', 'hi there', 'a b', '$HOME', '--port=8081'],
      commandLine: "echo 'hi there' 'a b' '$HOME' --port=8081",
      cwd: join(dir, 'conf'),
      env: { GNR_ASGI_PORT: '8081' },
      timeoutMs: 120_000,
      undo: { kind: 'shell', script: "echo 'undo hi there' | cat" },
    });
    expect(plain).toMatchObject({ id: 'plain', kind: 'shell', script: 'true', commandLine: 'true' });
    expect(doc.rollback).toMatchObject({ to: null, restore: ['conf'] });
    expect(doc.rollback.steps[0]).toMatchObject({ id: 'reload', argv: ['nginx', '-s', 'reload'] });
    expect(doc.verify).toEqual([
      {
        id: 'heartbeat',
        title: 'heartbeat',
        kind: 'http',
        severity: 'block',
        what: 'GET http://127.0.0.1:8081/sys/heartbeat → 200, body /ok/',
      },
      {
        id: 'daemon_gone',
        title: 'daemon_gone',
        kind: 'tcp',
        severity: 'block',
        what: 'tcp 127.0.0.1:40404 closed',
      },
    ]);
    expect(doc.runbook.path).toBe(join(dir, 'migration', 'rollback', 'phase-0.md'));
    expect(doc.runbook.exists).toBe(false);
    // Backups sized per the backup contract (SizeEstimate).
    expect(doc.backups).toHaveLength(1);
    expect(doc.backups[0]).toMatchObject({ system: 'conf', exists: true, files: 2 });
    expect(doc.backups[0]?.bytes).toBe(5 + 12);
    expect(doc.backups[0]?.destination).toMatch(/backups\/conf_\d{8}-\d{6}\/?$/);
  });

  it('prints the same for a person, with command output shown and not logged', async () => {
    const dir = workspace();
    const r = await runCli(['phase', '0', '--dry-run'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Dry run of phase 0 · ASGI wraps WSGI — nothing was changed');
    expect(r.stderr).toContain('│ say: dry-run output');
    expect(r.stderr).toContain("$ echo 'hi there' 'a b' '$HOME' --port=8081");
    expect(r.stderr).toContain("undo: $ echo 'undo hi there' | cat");
    expect(r.stderr).toContain('migration/rollback/phase-0.md (would be written)');
    expect(r.stderr).toContain('- heartbeat: GET http://127.0.0.1:8081/sys/heartbeat → 200, body /ok/');
    expect(r.stderr).toContain('Would proceed.');
  });

  it('a refused order blocks (exit 1) but everything else is still shown', async () => {
    const dir = workspace();
    const r = await runCli(['phase', '3', '--dry-run', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const doc = json<Report>(r);
    expect(doc.order).toMatchObject({ ok: false, rule: 'predecessor' });
    expect(doc.blockedBy).toEqual([
      'order: phase 3 needs phase 0 applied first (current: none). Run `gnr-migrate phase 0` first, or pass --force.',
    ]);
    expect(doc.checklist.results).toEqual([expect.objectContaining({ id: 'conf_b', status: 'pass' })]);
    const forced = await runCli(['phase', '3', '--dry-run', '--force', '--json'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(json<Report>(forced).order.note).toContain('--force');
  });

  it('a deferred phase is blocked unless --allow-deferred', async () => {
    const dir = workspace();
    const r = await runCli(['phase', '1', '--dry-run'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('phase 1 (Sticky) is deferred. Pass --allow-deferred to apply it anyway.');
    const ok = await runCli(['phase', '1', '--dry-run', '--allow-deferred'], { cwd: dir });
    expect(ok.code).toBe(0);
  });

  it('an interrupted run in the ledger blocks, naming how to settle it', async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, 'migration', 'state.json'),
      JSON.stringify({
        version: 1,
        current: null,
        planHash: null,
        runs: [
          {
            id: 'run-1',
            kind: 'phase',
            phase: 0,
            from: null,
            to: 0,
            status: 'interrupted',
            startedAt: '2026-11-22T10:15:00Z',
            host: 'h',
            user: 'u',
            pid: 1,
          },
        ],
      }),
    );
    const r = await runCli(['phase', '0', '--dry-run', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(json<Report>(r).blockedBy).toEqual([
      'ledger: phase run run-1 (phase 0) is interrupted and not settled — `gnr-migrate rollback` or `gnr-migrate phase 0 --resume`',
    ]);
  });
});
