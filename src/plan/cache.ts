import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { toolVersion } from '../core/version.js';
import type { PlanInput } from './schema.js';

/**
 * The validated plan, cached by the sha256 of the plan file's bytes and the tool version.
 * Parsing a full plan with `yaml` is most of a read-only command's time (bench/startup.js);
 * with the cache, `status` reads JSON instead. Content-addressed, so it is never stale: an
 * edited plan has another hash. It lives in the user's cache folder, never in the workspace
 * (a dry-run still writes nothing there). Best effort: any failure means "no cache".
 * GNR_MIGRATE_CACHE=0 turns it off.
 */

const keep = 20;

export function planCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GNR_MIGRATE_CACHE === '0') return undefined;
  const base =
    env.XDG_CACHE_HOME || (env.HOME || safeHome() ? join(env.HOME || safeHome()!, '.cache') : undefined);
  return base ? join(base, 'gnr-migrate') : undefined;
}

function safeHome(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

function entryFile(dir: string, hash: string): string {
  return join(dir, `plan-${hash}-${toolVersion()}.json`);
}

export function readPlanCache(env: NodeJS.ProcessEnv, hash: string): PlanInput | undefined {
  const dir = planCacheDir(env);
  if (!dir) return undefined;
  try {
    const entry = JSON.parse(readFileSync(entryFile(dir, hash), 'utf8')) as { hash: string; plan: PlanInput };
    return entry.hash === hash ? entry.plan : undefined;
  } catch {
    return undefined;
  }
}

export async function writePlanCache(env: NodeJS.ProcessEnv, hash: string, plan: PlanInput): Promise<void> {
  const dir = planCacheDir(env);
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(entryFile(dir, hash), JSON.stringify({ hash, plan }), 0o600);
    const entries = readdirSync(dir)
      .filter((n) => n.startsWith('plan-') && n.endsWith('.json'))
      .map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const old of entries.slice(keep)) rmSync(join(dir, old.n), { force: true });
  } catch {
    // A read-only home, a full disk: the plan is simply parsed again next time.
  }
}
