import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import type { State } from '../../src/ledger/schema.js';
import { checkOrder } from '../../src/phases/order.js';
import { planIn } from '../helpers/checklists.js';
import { tempDir } from '../helpers/tmp.js';

const yaml = `
version: 1
project: t
path: [0, 3, 4]
phases:
  - { id: 0 }
  - { id: 1, deferred: true, title: Sticky sessions }
  - { id: 3 }
  - { id: 4 }
  - { id: 9 }
`;
const state = (current: number | null, runs: State['runs'] = []): State => ({
  version: 1,
  current,
  planHash: null,
  runs,
});
const none = { allowDeferred: false, force: false };

describe('checkOrder (the order rules of `phase <id>`)', () => {
  it('allows the next phase on the path', async () => {
    const plan = await planIn(tempDir(), yaml);
    expect(checkOrder(plan, state(null), 0, none)).toEqual({ ok: true });
    expect(checkOrder(plan, state(0), 3, none)).toEqual({ ok: true });
  });

  it('names the phase to apply first, or --force', async () => {
    const plan = await planIn(tempDir(), yaml);
    const v = checkOrder(plan, state(null), 3, none);
    expect(v).toEqual({
      ok: false,
      rule: 'predecessor',
      reason:
        'phase 3 needs phase 0 applied first (current: none). Run `gnr-migrate phase 0` first, or pass --force.',
    });
    const w = checkOrder(plan, state(null), 4, none);
    expect(!w.ok && w.reason).toBe(
      'phase 4 needs phase 3 applied first (current: none). Run `gnr-migrate phase 0` first, or pass --force.',
    );
    expect(checkOrder(plan, state(null), 4, { ...none, force: true }).ok).toBe(true);
  });

  it('refuses a deferred phase unless --allow-deferred', async () => {
    const plan = await planIn(tempDir(), yaml);
    const v = checkOrder(plan, state(0), 1, none);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.rule).toBe('deferred');
    expect(!v.ok && v.reason).toContain('--allow-deferred');
    expect(checkOrder(plan, state(0), 1, { ...none, allowDeferred: true }).ok).toBe(true);
  });

  it('refuses the current phase even with --force, and an earlier one without it', async () => {
    const plan = await planIn(tempDir(), yaml);
    const cur = checkOrder(plan, state(3), 3, { allowDeferred: true, force: true });
    expect(!cur.ok && cur.reason).toContain('already applied (it is the current phase); roll back first');
    const early = checkOrder(plan, state(4), 3, none);
    expect(!early.ok && early.reason).toBe(
      'phase 3 is already applied (current: 4). Roll back to phase 0 first (`gnr-migrate rollback --to 0`), or pass --force.',
    );
  });

  it('refuses a phase off the path unless --force', async () => {
    const plan = await planIn(tempDir(), yaml);
    const v = checkOrder(plan, state(4), 9, none);
    expect(!v.ok && v.rule).toBe('off-path');
    expect(checkOrder(plan, state(4), 9, { ...none, force: true }).ok).toBe(true);
  });

  it('an unknown phase is bad input (exit 2) listing the phases', async () => {
    const plan = await planIn(tempDir(), yaml);
    expect(() => checkOrder(plan, state(null), 42, none)).toThrow(InputError);
    expect(() => checkOrder(plan, state(null), 42, none)).toThrow(
      /phase 42 is not in the plan .* \(phases: 0, 1 \(deferred\), 3, 4, 9\)/,
    );
  });
});
