import type { Check } from '../plan/types.js';
import { backupExists, rollbackPlan } from './builtin-backups.js';
import { diskSpace } from './builtin-disk.js';
import { gitClean } from './builtin-git.js';
import { noInterruptedRun, previousPhaseApplied } from './builtin-ledger.js';
import type { Evaluator } from './verdict.js';

/** `builtin: NAME`: the checks gnr-migrate knows how to make itself. */
export const evaluateBuiltin: Evaluator<Extract<Check, { kind: 'builtin' }>> = (check, ctx, opts) => {
  switch (check.name) {
    case 'backup_exists':
      return backupExists(ctx);
    case 'rollback_plan':
      return rollbackPlan(ctx);
    case 'previous_phase_applied':
      return previousPhaseApplied(ctx);
    case 'disk_space':
      return diskSpace(check, ctx);
    case 'git_clean':
      return gitClean(check, ctx, opts);
    case 'no_interrupted_run':
      return noInterruptedRun(ctx);
  }
};
