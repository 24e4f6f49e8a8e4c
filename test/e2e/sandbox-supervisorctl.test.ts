import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, fixture, type Sandbox, standIn } from '../helpers/sandbox-fixtures.js';

// The `supervisorctl` stand-in (examples/sandbox/programs/supervisorctl.js) against what the real program
// printed on a real host (examples/sandbox/fixtures/realhost/), where the default plan relies on it.
describe('sandbox stand-in: supervisorctl', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
  }, 60_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('supervisorctl: an unknown program is an error with exit 1, as the real one', () => {
    const real = fixture('supervisorctl-stop-not-running');
    const r = standIn(sb, 'supervisorctl', ['-c', sb.paths.supervisorConf, 'stop', 'no_such_program']);
    expect(r.code).toBe(real.code);
    expect(r.out).toBe(real.out);
  });
});
