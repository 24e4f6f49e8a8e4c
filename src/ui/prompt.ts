import { createInterface } from 'node:readline';
import { InterruptedError } from '../core/errors.js';
import type { Output, Streams } from './output.js';

/**
 * A y/N question on the terminal (stderr, so stdout stays clean). Anything but y/yes is no;
 * so is the end of input. Ctrl-C while asking (or SIGINT/SIGTERM aborting `signal`) rejects
 * with InterruptedError, so the command exits 130/143 as at any other moment — never 1 as if
 * the operator had said no.
 */
export function askYesNo(streams: Streams, question: string, signal?: AbortSignal): Promise<boolean> {
  const input = streams.stdin;
  if (!input) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input, output: streams.stderr, terminal: Boolean(input.isTTY) });
    let answered = false;
    const settle = (done: () => void) => {
      if (answered) return;
      answered = true;
      signal?.removeEventListener('abort', onAbort);
      done();
      rl.close();
    };
    const finish = (yes: boolean) => settle(() => resolve(yes));
    const stop = (sig: 'SIGINT' | 'SIGTERM') =>
      settle(() =>
        reject(new InterruptedError(sig, `interrupted by ${sig} at the prompt; nothing was changed`)),
      );
    const onAbort = () =>
      stop((signal?.reason as Error | undefined)?.message === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    // In raw mode Ctrl-C reaches readline, not the process.
    rl.on('SIGINT', () => stop('SIGINT'));
    rl.on('close', () => finish(false));
    rl.question(`${question} [y/N] `, (answer) => finish(/^\s*y(es)?\s*$/i.test(answer)));
  });
}

/** `askYesNo` for a command's Output; false at once when no one can be asked (no TTY). */
export function confirm(out: Output, question: string, signal?: AbortSignal): Promise<boolean> {
  if (!out.canPrompt) return Promise.resolve(false);
  return askYesNo(out.streams, question, signal);
}
