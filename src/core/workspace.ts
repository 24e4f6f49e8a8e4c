import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Paths of one workspace (DESIGN §1). */
export interface Workspace {
  root: string;
  migrationDir: string;
  planFile: string;
  stateFile: string;
  lockFile: string;
  rollbackDir: string;
  failuresDir: string;
  logsDir: string;
  backupsDir: string;
}

export function workspaceAt(root: string): Workspace {
  const migrationDir = join(root, 'migration');
  return {
    root,
    migrationDir,
    planFile: join(migrationDir, 'plan.yaml'),
    stateFile: join(migrationDir, 'state.json'),
    lockFile: join(migrationDir, '.lock'),
    rollbackDir: join(migrationDir, 'rollback'),
    failuresDir: join(migrationDir, 'failures'),
    logsDir: join(migrationDir, 'logs'),
    backupsDir: join(root, 'backups'),
  };
}

/**
 * Finds the workspace like git finds a repository: the nearest folder, from `start` upward,
 * that holds `migration/`. None found: `start` itself.
 */
export function findWorkspace(start: string): Workspace {
  const origin = resolve(start);
  let dir = origin;
  for (;;) {
    const candidate = join(dir, 'migration');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return workspaceAt(dir);
    const parent = dirname(dir);
    if (parent === dir) return workspaceAt(origin);
    dir = parent;
  }
}
