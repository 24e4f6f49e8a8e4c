import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, fixture, type Sandbox, standIn } from '../helpers/sandbox-fixtures.js';

// The `pip` stand-in (examples/sandbox/programs/pip.js) against what the real program
// printed on a real host (examples/sandbox/fixtures/realhost/), where the default plan relies on it.
describe('sandbox stand-in: pip', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
  }, 60_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('pip: install/uninstall genropy-asgi print what the real pip prints, and add/remove the console script', () => {
    const inst = standIn(sb, 'pip', ['install', '--no-deps', 'genropy-asgi']);
    expect(inst.code).toBe(fixture('pip-install-genropy-asgi').code);
    expect(inst.out).toContain('Successfully installed genropy-asgi-0.2.0');
    expect(fixture('pip-install-genropy-asgi').out).toContain('Successfully installed genropy-asgi-0.2.0');
    expect(existsSync(join(sb.root, 'venv/bin/gnrasgiserve'))).toBe(true);
    const un = standIn(sb, 'pip', ['uninstall', '-y', 'genropy-asgi']);
    expect(un.code).toBe(fixture('pip-uninstall-genropy-asgi').code);
    for (const line of [
      'Found existing installation: genropy-asgi 0.2.0',
      'Successfully uninstalled genropy-asgi-0.2.0',
    ]) {
      expect(un.out).toContain(line);
      expect(fixture('pip-uninstall-genropy-asgi').out).toContain(line);
    }
    expect(existsSync(join(sb.root, 'venv/bin/gnrasgiserve'))).toBe(false);
  });
});
