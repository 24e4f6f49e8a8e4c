import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../src/core/errors.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { loadPlan } from '../../src/plan/index.js';
import { minimalPlan } from '../helpers/plan.js';
import { tempDir } from '../helpers/tmp.js';

describe('plan cache', () => {
  it('caches the validated plan by content and still reports exact positions from a cached plan', async () => {
    const cache = tempDir();
    const ws = workspaceAt(tempDir());
    mkdirSync(ws.migrationDir);
    const env = { XDG_CACHE_HOME: cache };
    writeFileSync(ws.planFile, minimalPlan.replace('backup: [cfg]', 'backup: [nope]'));
    // Schema-valid, so it is cached; the cross-check fails on every load, cached or not.
    for (let i = 0; i < 2; i++) {
      const err = await loadPlan({ workspace: ws, processEnv: env }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PlanError);
      expect((err as PlanError).issues[0]).toMatchObject({ line: 11, path: 'phases[0].backup[0]' });
    }
    expect(readdirSync(join(cache, 'gnr-migrate'))).toHaveLength(1);
    writeFileSync(ws.planFile, minimalPlan);
    expect((await loadPlan({ workspace: ws, processEnv: env })).systems.cfg!.path).toBe('/srv/cfg');
    expect((await loadPlan({ workspace: ws, processEnv: env })).systems.cfg!.path).toBe('/srv/cfg');
    expect(readdirSync(join(cache, 'gnr-migrate'))).toHaveLength(2);
  });

  it('is off with GNR_MIGRATE_CACHE=0', async () => {
    const cache = tempDir();
    const ws = workspaceAt(tempDir());
    mkdirSync(ws.migrationDir);
    writeFileSync(ws.planFile, minimalPlan);
    await loadPlan({ workspace: ws, processEnv: { XDG_CACHE_HOME: cache, GNR_MIGRATE_CACHE: '0' } });
    expect(existsSync(join(cache, 'gnr-migrate'))).toBe(false);
  });
});
