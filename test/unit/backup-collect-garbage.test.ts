import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/backup/pool.js';

describe('collectGarbage', () => {
  it('collects what nothing holds, each time it is called', async () => {
    for (let round = 0; round < 2; round++) {
      let held: number[] | undefined = Array.from({ length: 1000 }, (_, i) => i);
      const ref = new WeakRef(held);
      held = undefined;
      // A WeakRef keeps its target alive until the job that made it ends.
      await setImmediate();
      collectGarbage();
      expect(ref.deref()).toBeUndefined();
    }
  });
});
