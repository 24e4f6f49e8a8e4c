import type { Clock } from '../../src/core/clock.js';

/** A clock one second further on at each call, so backup ids do not collide unless meant to. */
export function ticking(start = Date.UTC(2026, 10, 22, 10, 15, 0)): Clock {
  let t = start;
  return {
    now: () => {
      t += 1000;
      return new Date(t);
    },
  };
}
