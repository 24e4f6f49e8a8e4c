import { GnrMigrateError } from './core/errors.js';
import { operatorErrorOf } from './core/os-errors.js';
import { redact } from './core/redact.js';
import type { Streams } from './ui/output.js';

export interface MainIO extends Partial<Streams> {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where SIGINT/SIGTERM come from; tests pass an EventEmitter. */
  signals?: NodeJS.EventEmitter;
}

/**
 * argv in, exit code out. The one place where errors become exit codes (DESIGN §5); nothing
 * else in the tool ends the process.
 */
export async function main(argv: string[], io: MainIO = {}): Promise<number> {
  const streams: Streams = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: io.stdin ?? process.stdin,
  };
  const env = io.env ?? process.env;

  // `--version` is what scripts call most; answer it before loading commander or anything else.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    const { toolVersion } = await import('./core/version.js');
    streams.stdout.write(`${toolVersion()}\n`);
    return 0;
  }

  const controller = new AbortController();
  let interruptedBy: 'SIGINT' | 'SIGTERM' | undefined;
  let commandHandlesSignals = false;
  let onSignalExit: ((code: number) => void) | undefined;
  const signalExit = new Promise<number>((resolve) => {
    onSignalExit = resolve;
  });
  // A closed pipe (`plan schema | head -1`): the reader has what it wanted. A read-only
  // command ends at once with exit 0, quietly; a command that changes the system (it handles
  // signals) finishes its work, since stopping it halfway would be worse than an unread line.
  const pipeClosed = new Promise<number>((resolve) => {
    const onStreamError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
        if (!commandHandlesSignals) resolve(0);
        return;
      }
      // Any other write error on our own output: nothing sensible can be said anywhere.
      resolve(internalErrorExitCode);
    };
    // Kept for the life of the process: a write after the pipe closed must not crash either.
    for (const stream of [streams.stdout, streams.stderr]) {
      stream.on('error', onStreamError);
    }
  });
  const signals = io.signals ?? process;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (interruptedBy) {
      // A second signal: the operator insists. Leave now; the ledger and lock were written
      // atomically, so the next command sees an interrupted run, not a corrupt one.
      onSignalExit?.(sig === 'SIGINT' ? 130 : 143);
      return;
    }
    interruptedBy = sig;
    controller.abort(new Error(sig));
    if (!commandHandlesSignals) onSignalExit?.(sig === 'SIGINT' ? 130 : 143);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  signals.on('SIGINT', onInt);
  signals.on('SIGTERM', onTerm);

  try {
    const { runCli } = await import('./cli.js');
    const work = runCli(argv, {
      streams,
      env,
      cwd: io.cwd ?? process.cwd(),
      signal: controller.signal,
      interruptedBy: () => interruptedBy,
      handleSignals: () => {
        commandHandlesSignals = true;
      },
    });
    return await Promise.race([work, signalExit, pipeClosed]);
  } catch (err) {
    return report(err, streams, env, argv.includes('--json'));
  } finally {
    // The pipe guard stays (a late write must not crash), but as a no-op for this call.
    signals.off('SIGINT', onInt);
    signals.off('SIGTERM', onTerm);
  }
}

/** Exit code of a defect in the tool itself (EX_SOFTWARE), apart from DESIGN §5's codes. */
export const internalErrorExitCode = 70;

function report(thrown: unknown, streams: Streams, env: NodeJS.ProcessEnv, json: boolean): number {
  // A fault of the machine (read-only disk, a file where a folder should be) is the operator's
  // to fix, whatever code met it: exit 2 with the path, not a stack (os-errors.ts).
  const err = operatorErrorOf(thrown) ?? thrown;
  const noColor = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || !streams.stderr.isTTY;
  const label = noColor ? 'error:' : '\x1b[31merror:\x1b[39m';
  if (err instanceof GnrMigrateError) {
    const message = redact(err.message);
    streams.stderr.write(`${label} ${message}\n`);
    if (json) {
      const issues = 'issues' in err ? (err as { issues: unknown }).issues : undefined;
      const doc = {
        ok: false,
        error: {
          kind: err.name,
          message,
          exitCode: err.exitCode,
          ...(issues ? { issues } : {}),
        },
      };
      streams.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    }
    return err.exitCode;
  }
  // A defect, not an operator error: show the stack so it can be reported.
  const text = redact(err instanceof Error ? (err.stack ?? err.message) : String(err));
  streams.stderr.write(`${label} internal error: ${text}\n`);
  return internalErrorExitCode;
}
