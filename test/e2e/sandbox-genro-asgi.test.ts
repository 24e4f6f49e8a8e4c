import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, standIn } from '../helpers/sandbox-fixtures.js';

// The `genro-asgi` stand-in (examples/sandbox/programs/genro-asgi.js) against what the real program
// printed on a real host (examples/sandbox/fixtures/realhost/), where the default plan relies on it.
describe('sandbox stand-in: genro-asgi', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
  }, 60_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('genro-asgi refuses to serve the WSGI root unless the sandbox stands in for the bridge', () => {
    const r = standIn(sb, 'genro-asgi', ['serve', join(sb.paths.siteDir, 'asgi_front.py'), '--port', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no WSGI bridge/);
  });
});
