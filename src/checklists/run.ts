import type { Check } from '../plan/types.js';
import { evaluateCommand } from './command.js';
import type { Evaluator } from './verdict.js';

/** `run: [argv...]`: a program started directly, never through a shell; argv is never re-split. */
export const evaluateRun: Evaluator<Extract<Check, { kind: 'run' }>> = (check, ctx, opts) =>
  evaluateCommand(check, ctx, opts);
