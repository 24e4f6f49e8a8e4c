import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, standIn } from '../helpers/sandbox-fixtures.js';

// The `pytest` stand-in (examples/sandbox/programs/pytest.js) against what the real program
// printed on a real host (examples/sandbox/fixtures/realhost/), where the default plan relies on it.
describe('sandbox stand-in: pytest', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
  }, 60_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('pytest runs the instance tests where `gnr dev tests` looks for them', () => {
    const r = standIn(sb, 'pytest', ['-q', join(sb.paths.instanceDir, 'tests')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 passed/);
  });
});
