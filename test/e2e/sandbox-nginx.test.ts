import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, standIn } from '../helpers/sandbox-fixtures.js';

// The `nginx` stand-in (examples/sandbox/programs/nginx.js) against what the real program
// printed on a real host (examples/sandbox/fixtures/realhost/), where the default plan relies on it.
describe('sandbox stand-in: nginx', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
  }, 60_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('nginx -t -c accepts the site and reports like nginx', () => {
    const r = standIn(sb, 'nginx', ['-t', '-c', sb.paths.nginxConf]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/test is successful/);
  });
});
