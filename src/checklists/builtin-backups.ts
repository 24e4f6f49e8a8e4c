import { access, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Workspace } from '../core/workspace.js';
import type { ChecklistContext } from './types.js';
import { fail, pass, pending, type Verdict } from './verdict.js';

/**
 * `backup_exists` and `rollback_plan`. Before the run has made them (dry-run, check, and
 * apply before the backup step) they are `pending`: what the run will create. In `confirm`
 * they check this run's backups and runbook; in `gate` (and a verify outside a run) what is on
 * disk.
 */

const beforeTheRun = new Set<ChecklistContext['mode']>(['dry-run', 'check', 'apply']);

export async function backupExists(ctx: ChecklistContext): Promise<Verdict> {
  const { phase, ws } = ctx;
  if (beforeTheRun.has(ctx.mode)) {
    if (phase.backup.length === 0) return pass(`phase ${phase.id} backs up no systems`);
    const missing: string[] = [];
    for (const name of phase.backup) {
      const system = ctx.plan.systems[name];
      if (system && !(await exists(system.path))) missing.push(`${name}: ${system.path} does not exist`);
    }
    return pending(
      `will be created by the run: ${phase.backup.join(', ')}${missing.length ? ` (${missing.join('; ')})` : ''}`,
    );
  }
  if (ctx.runBackups && (ctx.mode === 'confirm' || ctx.mode === 'verify')) {
    const problems: string[] = [];
    for (const id of ctx.runBackups)
      if (!(await exists(join(ws.backupsDir, id, 'manifest.json'))))
        problems.push(`${id} has no manifest.json`);
    for (const name of phase.backup)
      if (!ctx.runBackups.some((id) => id.startsWith(`${name}_`))) problems.push(`no backup of ${name}`);
    return problems.length
      ? fail(`this run's backups are incomplete: ${problems.join('; ')} — the phase stops here`)
      : pass(`backups made: ${ctx.runBackups.join(', ')}`);
  }
  // What is on disk: the newest backup of each system the rollback restores.
  const systems = phase.rollback.restore;
  if (systems.length === 0) return pass(`phase ${phase.id}'s rollback restores no systems`);
  const found: string[] = [];
  const missing: string[] = [];
  for (const name of systems) {
    const id = await latestBackup(ws, name);
    if (id) found.push(id);
    else missing.push(name);
  }
  return missing.length
    ? fail(
        `no backup of ${missing.join(', ')} in ${ws.backupsDir} — phase ${phase.id}'s rollback restores ${missing.length > 1 ? 'them' : 'it'}; make one with \`gnr-migrate backup create ${missing.join(' ')}\``,
      )
    : pass(`latest backups: ${found.join(', ')}`);
}

export async function rollbackPlan(ctx: ChecklistContext): Promise<Verdict> {
  const path = ctx.runbookPath ?? join(ctx.ws.rollbackDir, `phase-${ctx.phase.id}.md`);
  const shown = display(ctx.ws, path);
  if (beforeTheRun.has(ctx.mode)) return pending(`will be written by the run: ${shown}`);
  if (await exists(path)) return pass(`runbook ${shown} exists`);
  return fail(
    ctx.mode === 'confirm'
      ? `runbook ${shown} was not written — the phase stops here`
      : `no runbook at ${shown} — it is written when phase ${ctx.phase.id} runs`,
  );
}

/** `backups/<system>_<YYYYMMDD-HHMMSS>[-N]/` with a manifest: complete backups only. */
export async function latestBackup(ws: Workspace, system: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(ws.backupsDir);
  } catch {
    return undefined;
  }
  const pattern = new RegExp(`^${system.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_\\d{8}-\\d{6}(-\\d+)?$`);
  const candidates = names
    .filter((n) => pattern.test(n))
    .sort(byStamp)
    .reverse();
  for (const id of candidates) if (await exists(join(ws.backupsDir, id, 'manifest.json'))) return id;
  return undefined;
}

/** `x_20261122-101500` < `x_20261122-101500-2` < `x_20261122-101500-10`. */
function byStamp(a: string, b: string): number {
  const key = (s: string) => {
    const m = /_(\d{8}-\d{6})(?:-(\d+))?$/.exec(s);
    return [m?.[1] ?? '', Number(m?.[2] ?? 0)] as const;
  };
  const [sa, na] = key(a);
  const [sb, nb] = key(b);
  return sa === sb ? na - nb : sa < sb ? -1 : 1;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export function display(ws: Workspace, path: string): string {
  const rel = relative(ws.root, path);
  return rel && !rel.startsWith('..') ? rel : path;
}
