import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../core/atomic.js';
import { formatAge } from '../core/clock.js';
import { LockedError } from '../core/errors.js';
import { currentHost, pidAlive, pidStartTime } from '../core/host.js';
import { readOptionalText } from '../core/read-file.js';
import type { Workspace } from '../core/workspace.js';

/** `migration/.lock` (DESIGN §6). */
export const lockSchema = z.object({
  id: z.string(),
  pid: z.number(),
  /** The kernel start time of `pid`, to tell a reused pid from the holder. */
  pidStart: z.string().optional(),
  host: z.string(),
  user: z.string().optional(),
  command: z.string(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
});
export type LockInfo = z.infer<typeof lockSchema>;

export type LockHolderState = 'alive' | 'dead' | 'other-host' | 'unreadable';

export interface HeldLock {
  info: LockInfo;
  /** Set when a dead holder's lock was taken over: the notice to show the operator. */
  tookOverFrom?: LockInfo;
  release(): Promise<void>;
}

export async function readLock(ws: Workspace): Promise<{ info?: LockInfo; raw?: string } | undefined> {
  let raw: string | undefined;
  try {
    raw = await readOptionalText(ws.lockFile, { what: 'the lock', maxBytes: 1024 * 1024 });
  } catch (err) {
    // Exit 4 like any lock in the way, saying what to remove: a folder or FIFO named .lock.
    throw new LockedError(
      `${(err as Error).message.replace(/; point to a file$/, '')}. If no gnr-migrate is running, remove it: rm -r ${ws.lockFile}`,
      { cause: err },
    );
  }
  if (raw === undefined) return undefined;
  try {
    const parsed = lockSchema.safeParse(JSON.parse(raw));
    return parsed.success ? { info: parsed.data, raw } : { raw };
  } catch {
    return { raw };
  }
}

export function holderState(info: LockInfo | undefined, host = currentHost()): LockHolderState {
  if (!info) return 'unreadable';
  if (info.host !== host) return 'other-host';
  if (!pidAlive(info.pid)) return 'dead';
  if (info.pidStart !== undefined) {
    const start = pidStartTime(info.pid);
    if (start !== undefined && start !== info.pidStart) return 'dead';
  }
  return 'alive';
}

export function describeHolder(info: LockInfo, now = new Date()): string {
  // The command line can be long (a dozen --var): its head names the run well enough.
  const command = info.command.length > 80 ? `${info.command.slice(0, 79)}…` : info.command;
  return `pid ${info.pid} on ${info.host}${info.user ? ` (${info.user})` : ''}, running "${command}" since ${info.startedAt} (heartbeat ${formatAge(new Date(info.heartbeatAt), now)} ago)`;
}

export interface AcquireOptions {
  command: string;
  user?: string;
  /** Called when a dead holder's lock is taken over. */
  onTakeover?: (previous: LockInfo) => void;
  heartbeatMs?: number;
}

/**
 * Takes the workspace lock. The lock file is written whole to a temp file and then hard-linked
 * into place, which is atomic and fails if the lock exists: there is never an empty or
 * half-written lock. A holder on this host whose process is gone is taken over with a notice;
 * any other holder is exit 4, named.
 */
export async function acquireLock(ws: Workspace, options: AcquireOptions): Promise<HeldLock> {
  await mkdir(dirname(ws.lockFile), { recursive: true });
  const now = new Date().toISOString();
  const info: LockInfo = {
    id: randomBytes(6).toString('hex'),
    pid: process.pid,
    ...(pidStartTime(process.pid) !== undefined ? { pidStart: pidStartTime(process.pid) } : {}),
    host: currentHost(),
    ...(options.user ? { user: options.user } : {}),
    command: options.command,
    startedAt: now,
    heartbeatAt: now,
  };
  const tmp = join(dirname(ws.lockFile), `.${basename(ws.lockFile)}.${info.id}`);
  await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { flag: 'wx' });
  let tookOverFrom: LockInfo | undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, ws.lockFile);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 5) throw err;
      }
      const current = await readLock(ws);
      if (!current) continue; // released meanwhile: try again
      const state = holderState(current.info);
      if (state === 'dead' && current.info) {
        // Move the stale lock aside under a unique name: of two processes taking it over at
        // once, only one rename finds it; the other sees the winner's lock on its next try.
        const aside = `${ws.lockFile}.stale-${info.id}`;
        try {
          await rename(ws.lockFile, aside);
          const moved = await readLock({ ...ws, lockFile: aside });
          if (moved?.info?.id === current.info.id) {
            tookOverFrom = current.info;
          } else {
            // Another process took the stale lock over first and we moved its fresh lock:
            // put it back (or, if yet another got in, leave theirs) and report the holder.
            await link(aside, ws.lockFile).catch(() => {});
          }
          await rm(aside, { force: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        continue;
      }
      if (state === 'unreadable') {
        throw new LockedError(
          `the workspace is locked by ${ws.lockFile}, which cannot be read. If no other gnr-migrate is running, run \`gnr-migrate unlock --force\`.`,
        );
      }
      throw new LockedError(
        `the workspace is locked by ${describeHolder(current.info!)}. ` +
          (state === 'other-host'
            ? 'It is held from another host: wait for it, or if it is gone run `gnr-migrate unlock --force`.'
            : 'Wait for it to finish.'),
      );
    }
  } finally {
    await rm(tmp, { force: true });
  }
  if (tookOverFrom) options.onTakeover?.(tookOverFrom);

  let released = false;
  const timer = setInterval(() => {
    info.heartbeatAt = new Date().toISOString();
    writeJsonAtomic(ws.lockFile, info).catch(() => {});
  }, options.heartbeatMs ?? 5_000);
  timer.unref();

  return {
    info,
    ...(tookOverFrom ? { tookOverFrom } : {}),
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      const current = await readLock(ws).catch(() => undefined);
      if (current?.info?.id === info.id) await rm(ws.lockFile, { force: true });
    },
  };
}

/** `unlock`: removes a lock whose holder is gone; with force, any lock. */
export async function unlock(
  ws: Workspace,
  force: boolean,
): Promise<{ removed: boolean; holder?: LockInfo; state?: LockHolderState }> {
  const current = await readLock(ws);
  if (!current) return { removed: false };
  const state = holderState(current.info);
  if (state === 'alive' && !force) {
    throw new LockedError(
      `the lock is held by a live process: ${describeHolder(current.info!)}. Use --force only if you are sure.`,
    );
  }
  if ((state === 'other-host' || state === 'unreadable') && !force) {
    throw new LockedError(
      state === 'other-host'
        ? `the lock is held from another host (${describeHolder(current.info!)}); its process cannot be checked from here. Use --force if it is gone.`
        : `${ws.lockFile} cannot be read; use --force to remove it.`,
    );
  }
  await rm(ws.lockFile, { force: true });
  return { removed: true, ...(current.info ? { holder: current.info } : {}), state };
}
