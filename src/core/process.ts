import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { pidStartTime } from './host.js';
import { hasSecrets, redact } from './redact.js';

/**
 * The one wrapper every check and step runs through: argv is passed as-is (never re-split),
 * a shell only for an explicit `shell:` line, a timeout and an abort that kill the whole
 * process tree, output streamed to a log file and to a listener, and the tail kept for
 * failure records.
 */

export interface ProcessRequest {
  kind: 'run' | 'shell';
  /** For `run`: program and arguments. */
  argv?: string[];
  /** For `shell`: the line given to `/bin/sh -c`. */
  script?: string;
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Every byte of output goes here, with a header and a footer. */
  logFile?: string;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How long after SIGTERM the tree gets SIGKILL. */
  killGraceMs?: number;
  /** Called once the child is started, with its process group (= its pid: it leads one). */
  onSpawn?: (pgid: number) => void;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Stopped because `signal` aborted. */
  aborted: boolean;
  /** The program could not be started (not found, not executable, bad cwd). */
  startError?: string;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, last ~64 KiB. */
  tail: string;
  pid?: number;
}

export type ProcessRunner = (req: ProcessRequest) => Promise<ProcessResult>;

const captureLimit = 1024 * 1024;
const tailLimit = 64 * 1024;

export function describeCommand(req: Pick<ProcessRequest, 'kind' | 'argv' | 'script'>): string {
  return req.kind === 'run' ? (req.argv ?? []).join(' ') : (req.script ?? '');
}

export const runProcess: ProcessRunner = async (req) => {
  const started = performance.now();
  let log: WriteStream | undefined;
  if (req.logFile) {
    await mkdir(dirname(req.logFile), { recursive: true });
    log = createWriteStream(req.logFile, { flags: 'a' });
    log.write(
      `$ ${redact(describeCommand(req))}\n# cwd: ${req.cwd ?? process.cwd()}  started: ${new Date().toISOString()}\n`,
    );
  }
  const [file, args] =
    req.kind === 'run'
      ? [req.argv?.[0] ?? '', req.argv?.slice(1) ?? []]
      : ['/bin/sh', ['-c', req.script ?? '']];

  let stdout = '';
  let stderr = '';
  let tail = '';
  const partial = { stdout: '', stderr: '' };
  const masking = hasSecrets();
  const take = (chunk: Buffer, stream: 'stdout' | 'stderr') => {
    // A program that prints a secret var must not write it into the log in clear. (A secret
    // split across two chunks escapes this; programs print whole lines in one write.)
    const text = masking ? redact(chunk.toString('utf8')) : chunk.toString('utf8');
    log?.write(masking ? text : chunk);
    if (stream === 'stdout' && stdout.length < captureLimit) stdout += text;
    if (stream === 'stderr' && stderr.length < captureLimit) stderr += text;
    tail = (tail + text).slice(-tailLimit);
    if (req.onLine) {
      const lines = (partial[stream] + text).split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) req.onLine(line, stream);
    }
  };

  // Its own process group, so a timeout or an interrupt can stop everything it started.
  const child = execa(file, args, {
    ...(req.cwd ? { cwd: req.cwd } : {}),
    env: { ...req.env },
    extendEnv: true,
    reject: false,
    detached: true,
    cleanup: false,
    stdin: 'ignore',
    buffer: false,
    stripFinalNewline: false,
  });
  if (child.pid !== undefined) req.onSpawn?.(child.pid);
  child.stdout?.on('data', (c: Buffer) => take(c, 'stdout'));
  child.stderr?.on('data', (c: Buffer) => take(c, 'stderr'));

  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const killTree = () => {
    if (child.pid === undefined) return;
    signalGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(
      () => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL'),
      req.killGraceMs ?? 2_000,
    );
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killTree();
  }, req.timeoutMs);
  const onAbort = () => {
    aborted = true;
    killTree();
  };
  if (req.signal?.aborted) onAbort();
  else req.signal?.addEventListener('abort', onAbort, { once: true });

  const result = await child;
  clearTimeout(timer);
  req.signal?.removeEventListener('abort', onAbort);
  // The leader exited; make sure nothing it started in its group outlives a kill.
  if ((timedOut || aborted) && child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  if (killTimer) clearTimeout(killTimer);
  for (const stream of ['stdout', 'stderr'] as const)
    if (partial[stream] && req.onLine) req.onLine(partial[stream], stream);

  const startError =
    result.failed && result.exitCode === undefined && !result.signal
      ? explainStartError(result, file, req.cwd)
      : undefined;
  const durationMs = performance.now() - started;
  const exitCode = result.exitCode ?? null;
  const signal = result.signal ?? null;
  if (log) {
    const end =
      startError ??
      (timedOut
        ? `timed out after ${req.timeoutMs} ms`
        : aborted
          ? 'interrupted'
          : `exit ${exitCode ?? signal}`);
    log.write(`\n# ${end} · ${Math.round(durationMs)} ms\n`);
    await new Promise<void>((resolve) => log?.end(resolve));
  }
  return {
    exitCode,
    signal,
    timedOut,
    aborted,
    ...(startError ? { startError } : {}),
    durationMs,
    stdout,
    stderr,
    tail,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
  };
};

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

function explainStartError(
  result: { code?: string; message?: string; originalMessage?: string },
  file: string,
  cwd?: string,
): string {
  switch (result.code) {
    case 'ENOENT':
      return cwd && result.originalMessage?.includes('cwd')
        ? `cannot start ${file}: working directory ${cwd} does not exist`
        : `program not found: ${file} (is it installed and on PATH?)`;
    case 'EACCES':
      return `cannot start ${file}: permission denied (not executable?)`;
    default:
      return `cannot start ${file}: ${result.originalMessage ?? result.message ?? result.code}`;
  }
}

/**
 * Whether the process group `pgid` still has a member. When its leader is alive but started at
 * another time than recorded, the pid was reused by an unrelated program: not ours to stop.
 */
export function processGroupAlive(pgid: number, leaderStart?: string): boolean {
  if (leaderStart !== undefined) {
    const now = pidStartTime(pgid);
    if (now !== undefined && now !== leaderStart) return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM to the group, then SIGKILL after `graceMs` if anything is left. True when gone. */
export async function stopProcessGroup(pgid: number, graceMs = 3_000): Promise<boolean> {
  signalGroup(pgid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    if (!processGroupAlive(pgid)) return true;
  }
  signalGroup(pgid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 50));
  return !processGroupAlive(pgid);
}
