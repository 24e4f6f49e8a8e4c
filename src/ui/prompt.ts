import { createInterface } from 'node:readline';
import type { Output, Streams } from './output.js';

/**
 * A y/N question on the terminal (stderr, so stdout stays clean). Anything but y/yes is no;
 * so is the end of input. Ctrl-C while asking is passed on as SIGINT, so the command stops as
 * it would at any other moment.
 */
export function askYesNo(streams: Streams, question: string, signal?: AbortSignal): Promise<boolean> {
  const input = streams.stdin;
  if (!input) return Promise.resolve(false);
  return new Promise((resolve) => {
    const rl = createInterface({ input, output: streams.stderr, terminal: Boolean(input.isTTY) });
    let answered = false;
    const finish = (yes: boolean) => {
      if (answered) return;
      answered = true;
      signal?.removeEventListener('abort', onAbort);
      rl.close();
      resolve(yes);
    };
    const onAbort = () => finish(false);
    if (signal?.aborted) return finish(false);
    signal?.addEventListener('abort', onAbort, { once: true });
    rl.on('SIGINT', () => {
      finish(false);
      process.kill(process.pid, 'SIGINT');
    });
    rl.on('close', () => finish(false));
    rl.question(`${question} [y/N] `, (answer) => finish(/^\s*y(es)?\s*$/i.test(answer)));
  });
}

/** `askYesNo` for a command's Output; false at once when no one can be asked (no TTY). */
export function confirm(out: Output, question: string, signal?: AbortSignal): Promise<boolean> {
  if (!out.canPrompt) return Promise.resolve(false);
  return askYesNo(out.streams, question, signal);
}
