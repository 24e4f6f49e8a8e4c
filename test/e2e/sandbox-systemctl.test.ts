import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, standIn } from '../helpers/sandbox-fixtures.js';

// The `systemctl` stand-in (examples/sandbox/programs/systemctl.js): what the default plan's
// `daemon_service: systemd` steps call (`disable --now`, `enable --now`) and what an operator
// reads (`is-active`, exit 3 when inactive, as systemd's LSB codes). No real-host recording:
// the realhost has no systemd.
describe('sandbox stand-in: systemctl', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox({ start: false });
  }, 60_000);
  afterAll(async () => {
    await sb?.stop({ remove: true });
  }, 30_000);

  it('is-active is inactive (exit 3) before start, active after, and a missing unit is exit 5', () => {
    const before = standIn(sb, 'systemctl', ['is-active', 'nats-server']);
    expect([before.out.trim(), before.code]).toEqual(['inactive', 3]);
    expect(standIn(sb, 'systemctl', ['start', 'nats-server']).code).toBe(0);
    const after = standIn(sb, 'systemctl', ['is-active', 'nats-server']);
    expect([after.out.trim(), after.code]).toEqual(['active', 0]);
    expect(standIn(sb, 'systemctl', ['stop', 'nats-server']).code).toBe(0);
    const missing = standIn(sb, 'systemctl', ['start', 'gnrdaemon']);
    expect(missing.code).toBe(5);
    expect(missing.err).toMatch(/Unit gnrdaemon\.service not found/);
  });
});
