import type { SizeEstimate } from '../backup/types.js';
import type { Clock } from '../core/clock.js';
import type { Workspace } from '../core/workspace.js';
import type { System } from '../plan/types.js';

export interface SizingContext {
  ws: Workspace;
  clock: Clock;
  sizes?: Map<string, Promise<SizeEstimate>>;
}

/**
 * The size of a system's backup, walked once per run: `disk_space` and the dry-run's backup
 * table share the walk through `ctx.sizes`. The backup module is loaded only when needed.
 */
export function sizeOf(ctx: SizingContext, system: System): Promise<SizeEstimate> {
  const cached = ctx.sizes?.get(system.name);
  if (cached) return cached;
  const estimate = import('../backup/index.js').then(({ estimateBackup }) =>
    estimateBackup(ctx.ws, system, ctx.clock),
  );
  ctx.sizes?.set(system.name, estimate);
  return estimate;
}
