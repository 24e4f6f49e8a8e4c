import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, fixture, type Sandbox, standIn } from '../helpers/sandbox-fixtures.js';

// The `gnrasgiserve` stand-in (examples/sandbox/programs/gnrasgiserve.js) against what the real program
// printed on a real host (examples/sandbox/fixtures/realhost/), where the default plan relies on it.
describe('sandbox stand-in: gnrasgiserve', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
  }, 60_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('gnrasgiserve: without genro-asgi it dies on import, as the real one', () => {
    standIn(sb, 'pip', ['uninstall', '-y', 'genro-asgi']);
    standIn(sb, 'pip', ['install', '--no-deps', 'genropy-asgi']);
    const r = standIn(sb, join(sb.root, 'venv/bin/gnrasgiserve'), ['acme_erp', '-p', '0']);
    const real = fixture('gnrasgiserve');
    expect(r.code).toBe(real.code);
    const last = (t: string) => t.trim().split('\n').at(-1);
    expect(last(r.err)).toBe(last(real.err));
    standIn(sb, 'pip', ['uninstall', '-y', 'genropy-asgi']);
    standIn(sb, 'pip', ['install', 'genro-asgi']);
  });
});
