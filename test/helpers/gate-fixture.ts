import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './cli.js';
import { tempDir } from './tmp.js';

/**
 * A workspace for `gate` end-to-end tests, built directly (not through `phase`): a two-phase
 * plan whose systems live in the temp folder, real backups made by the built backup engine,
 * and a ledger written by hand in the ledger's schema.
 */
export interface GateWorkspace {
  root: string;
  backupsDir: string;
  /** Backs up the systems with the real engine (dist/) and returns the backup ids. */
  backUp(systems: string[]): Promise<string[]>;
  /** Ledger: phase 0 applied by a succeeded run that recorded these backups; runbook written. */
  applyPhase0(backupIds: string[]): void;
  writeState(state: Record<string, unknown>): void;
  writeLock(pid: number): void;
  file(name: string, content: string): string;
}

export const planYaml = (root: string, gate = '') => `version: 1
project: acme
systems:
  conf: { path: "${root}/sys/conf" }
  data: { path: "${root}/sys/data" }
path: [0, 3]
phases:
  - id: 0
    title: ASGI wraps WSGI
    backup: [conf, data]
    checks:
      - { id: conf_present, file: "${root}/sys/conf/app.ini", contains: "port" }
    verify:
      - { id: marker_present, file: "${root}/sys/conf/marker" }
  - id: 3
    title: Mono-process
    backup: [conf]
    checks:
      - { id: conf_present, file: "${root}/sys/conf/app.ini" }
${gate}`;

export function run(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '20261122-101500-phase0-a1b2',
    kind: 'phase',
    phase: 0,
    from: null,
    to: 0,
    status: 'succeeded',
    startedAt: '2026-11-22T10:15:00.000Z',
    endedAt: '2026-11-22T10:16:00.000Z',
    host: hostname(),
    user: 'ci',
    pid: 1,
    steps: [],
    backups: [],
    ...over,
  };
}

export function makeGateWorkspace(gate = ''): GateWorkspace {
  const root = tempDir('gnrm-gate-');
  const migration = join(root, 'migration');
  const backupsDir = join(root, 'backups');
  mkdirSync(join(migration, 'rollback'), { recursive: true });
  mkdirSync(join(root, 'sys', 'conf'), { recursive: true });
  mkdirSync(join(root, 'sys', 'data', 'db'), { recursive: true });
  writeFileSync(join(root, 'sys', 'conf', 'app.ini'), '[server]\nport = 8081\n');
  writeFileSync(join(root, 'sys', 'conf', 'marker'), 'phase 0\n');
  writeFileSync(join(root, 'sys', 'data', 'db', 'users.sqlite'), 'SQLite format 3\u0000 users table\n');
  writeFileSync(join(migration, 'plan.yaml'), planYaml(root, gate));

  const writeState = (state: Record<string, unknown>) =>
    writeFileSync(
      join(migration, 'state.json'),
      JSON.stringify({ version: 1, current: null, planHash: null, runs: [], ...state }, null, 2),
    );
  return {
    root,
    backupsDir,
    async backUp(systems) {
      const { createBackup } = (await import(
        pathToFileURL(join(repoRoot, 'dist/backup/create.js')).href
      )) as {
        createBackup(o: unknown): Promise<{ id: string }>;
      };
      const { workspaceAt } = (await import(
        pathToFileURL(join(repoRoot, 'dist/core/workspace.js')).href
      )) as {
        workspaceAt(root: string): unknown;
      };
      const ws = workspaceAt(root);
      const ids: string[] = [];
      for (const name of systems) {
        const info = await createBackup({
          ws,
          system: { name, path: join(root, 'sys', name), exclude: [] },
          phase: 0,
          runId: '20261122-101500-phase0-a1b2',
        });
        ids.push(info.id);
      }
      return ids;
    },
    applyPhase0(backupIds) {
      writeState({ current: 0, runs: [run({ backups: backupIds })] });
      writeFileSync(
        join(migration, 'rollback', 'phase-0.md'),
        '# Rollback of phase 0\n\n`gnr-migrate rollback`\n',
      );
    },
    writeState,
    writeLock(pid) {
      writeFileSync(
        join(migration, '.lock'),
        JSON.stringify({
          id: 'a1b2c3',
          pid,
          host: hostname(),
          command: 'gnr-migrate phase 0',
          startedAt: '2026-11-22T10:15:00.000Z',
          heartbeatAt: '2026-11-22T10:15:05.000Z',
        }),
      );
    },
    file(name, content) {
      const path = join(root, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

/** The pid of a process that has exited (for a stale lock). */
export function deadPid(): number {
  const child = spawnSync('true');
  if (child.pid === undefined) throw new Error('could not start `true`');
  return child.pid;
}

export function backupIds(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith('.'));
}
