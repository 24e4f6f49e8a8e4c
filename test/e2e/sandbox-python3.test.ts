import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { createSandbox, type Sandbox, standIn } from '../helpers/sandbox-fixtures.js';

// The `python3` stand-in (examples/sandbox/programs/python3.js) against what the real program
// printed on a real host (examples/sandbox/fixtures/realhost/), where the default plan relies on it.
describe('sandbox stand-in: python3', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
  }, 60_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('python3 runs the plan capability probes: they block unless the sandbox stands in for the capability', () => {
    const probe = (pkg: string, cap: string, env: Record<string, string> = {}) =>
      standIn(sb, 'python3', ['-c', capabilityPy, pkg, cap], env);
    const none = probe('genro_asgi', 'wsgi_bridge');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/wsgi_bridge: missing capability a WSGI bridge/);
    expect(probe('genro_asgi', 'wsgi_bridge', { GNR_SANDBOX_UNRELEASED: 'wsgi_bridge' }).code).toBe(0);
    // genropy-asgi is not installed here: resident pages and NATS block, flag or not.
    expect(probe('genropy_asgi', 'nats', { GNR_SANDBOX_UNRELEASED: 'nats' }).err).toMatch(
      /cannot be imported/,
    );
  });
});

/** The plan's own probe (vars.capability_py of migration/plan.yaml). */
const capabilityPy = (() => {
  const plan = readFileSync(join(repoRoot, 'migration/plan.yaml'), 'utf8');
  const block = /\n {2}capability_py: \|\n((?: {4}.*\n|\n)+)/.exec(plan)?.[1] ?? '';
  return block.replace(/^ {4}/gm, '');
})();
