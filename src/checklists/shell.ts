import type { Check } from '../plan/types.js';
import { evaluateCommand } from './command.js';
import type { Evaluator } from './verdict.js';

/** `shell: "..."`: the explicit opt-in for a line given to `/bin/sh -c` (pipes, globs, `&&`). */
export const evaluateShell: Evaluator<Extract<Check, { kind: 'shell' }>> = (check, ctx, opts) =>
  evaluateCommand(check, ctx, opts);
