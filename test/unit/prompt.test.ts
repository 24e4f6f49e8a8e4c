import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askYesNo } from '../../src/ui/prompt.js';

/** Ctrl-C at a prompt is an interrupt (exit 130), never a "no" (exit 1): issue 12 §5. */
function terminal() {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stderr = Object.assign(new PassThrough(), { isTTY: true });
  return { stdout: new PassThrough(), stderr, stdin };
}

describe('askYesNo', () => {
  it('answers yes and no', async () => {
    const t = terminal();
    const p = askYesNo(t, 'Go?');
    t.stdin.write('y\n');
    expect(await p).toBe(true);
    const t2 = terminal();
    const q = askYesNo(t2, 'Go?');
    t2.stdin.write('nope\n');
    expect(await q).toBe(false);
  });

  it('Ctrl-C at the prompt rejects with an interrupt of exit code 130', async () => {
    const t = terminal();
    const p = askYesNo(t, 'Go?');
    t.stdin.write('\x03');
    await expect(p).rejects.toMatchObject({ exitCode: 130, signal: 'SIGINT' });
  });

  it('a SIGTERM while asking rejects with exit code 143', async () => {
    const t = terminal();
    const controller = new AbortController();
    const p = askYesNo(t, 'Go?', controller.signal);
    controller.abort(new Error('SIGTERM'));
    await expect(p).rejects.toMatchObject({ exitCode: 143 });
  });
});
