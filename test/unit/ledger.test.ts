import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, LockedError } from '../../src/core/errors.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { acquireLock, readLock, unlock } from '../../src/ledger/lock.js';
import { unsettledRuns } from '../../src/ledger/run-state.js';
import { emptyState } from '../../src/ledger/schema.js';
import { Ledger, readState, writeState } from '../../src/ledger/state.js';
import { tempDir } from '../helpers/tmp.js';

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function workspace() {
  const ws = workspaceAt(tempDir());
  mkdirSync(ws.migrationDir, { recursive: true });
  return ws;
}

function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

function lockFor(pid: number, host = hostname()) {
  const now = new Date().toISOString();
  return JSON.stringify({
    id: 'abc',
    pid,
    host,
    command: 'gnr-migrate phase 3',
    startedAt: now,
    heartbeatAt: now,
  });
}

describe('ledger', () => {
  it('reads a missing ledger as empty and round-trips atomically', async () => {
    const ws = workspace();
    expect(await readState(ws)).toEqual(emptyState());
    const ledger = await Ledger.open(ws);
    await ledger.update((s) => {
      s.current = 3;
    });
    expect((await readState(ws)).current).toBe(3);
    expect(JSON.parse(readFileSync(ws.stateFile, 'utf8')).version).toBe(1);
  });

  it('refuses a corrupt ledger with exit 2 and leaves it untouched', async () => {
    const ws = workspace();
    writeFileSync(ws.stateFile, '{"version": 1, "current": ');
    await expect(readState(ws)).rejects.toThrow(InputError);
    await expect(readState(ws)).rejects.toThrow(/corrupt.*not changed/);
    writeFileSync(ws.stateFile, '{"version": 1, "current": "x", "planHash": null, "runs": []}');
    await expect(readState(ws)).rejects.toThrow(/does not match its schema at current/);
    expect(readFileSync(ws.stateFile, 'utf8')).toContain('"x"');
  });

  it('finds runs cut off by a dead process, and not the live holder', async () => {
    const ws = workspace();
    const state = emptyState();
    const run = {
      id: 'r1',
      kind: 'phase' as const,
      phase: 3,
      from: 0,
      to: 3,
      status: 'running' as const,
      startedAt: '',
      host: 'h',
      user: 'u',
      pid: 42,
      steps: [],
      backups: [],
      snapshots: [],
      acks: [],
    };
    state.runs.push(run);
    await writeState(ws, state);
    expect(unsettledRuns(state, undefined).map((r) => r.id)).toEqual(['r1']);
    expect(unsettledRuns(state, { pid: 42, host: 'h' })).toEqual([]);
  });
});

describe('lock', () => {
  it('is exclusive: a second holder in a live process is exit 4 naming the holder', async () => {
    const ws = workspace();
    const held = await acquireLock(ws, { command: 'first' });
    await expect(acquireLock(ws, { command: 'second' })).rejects.toThrow(LockedError);
    await expect(acquireLock(ws, { command: 'second' })).rejects.toThrow(/pid \d+ on .*running "first"/);
    await held.release();
    expect(existsSync(ws.lockFile)).toBe(false);
  });

  it('of two racing takers exactly one wins', async () => {
    const ws = workspace();
    const results = await Promise.allSettled([
      acquireLock(ws, { command: 'a' }),
      acquireLock(ws, { command: 'b' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'fulfilled') await r.value.release();
  });

  it('refuses a lock held by another live process', async () => {
    const ws = workspace();
    const child = spawn('sleep', ['30']);
    children.push(child);
    writeFileSync(ws.lockFile, lockFor(child.pid!));
    await expect(acquireLock(ws, { command: 'x' })).rejects.toThrow(LockedError);
    await expect(unlock(ws, false)).rejects.toThrow(LockedError);
  });

  it('takes over a lock whose holder on this host is dead, with a notice', async () => {
    const ws = workspace();
    writeFileSync(ws.lockFile, lockFor(deadPid()));
    const notices: string[] = [];
    const held = await acquireLock(ws, { command: 'x', onTakeover: (prev) => notices.push(prev.command) });
    expect(notices).toEqual(['gnr-migrate phase 3']);
    expect((await readLock(ws))?.info?.pid).toBe(process.pid);
    await held.release();
  });

  it('refuses a lock from another host unless forced', async () => {
    const ws = workspace();
    writeFileSync(ws.lockFile, lockFor(1, 'elsewhere.example'));
    await expect(acquireLock(ws, { command: 'x' })).rejects.toThrow(/another host/);
    await expect(unlock(ws, false)).rejects.toThrow(/another host/);
    expect((await unlock(ws, true)).removed).toBe(true);
    expect(existsSync(ws.lockFile)).toBe(false);
  });
});
