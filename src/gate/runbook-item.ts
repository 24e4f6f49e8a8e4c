import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Workspace } from '../core/workspace.js';
import type { Phase } from '../plan/types.js';
import type { GateItem } from './types.js';

/** `migration/rollback/phase-<id>.md` (DESIGN §8): the manual way back when the tool is not at hand. */
export function runbookPath(ws: Workspace, phaseId: number): string {
  return join(ws.rollbackDir, `phase-${phaseId}.md`);
}

export async function runbookItem(ws: Workspace, phase: Phase, applied: boolean): Promise<GateItem> {
  const file = runbookPath(ws, phase.id);
  const shown = relative(ws.root, file);
  const base = {
    id: 'runbook',
    group: 'runbook' as const,
    title: `phase ${phase.id}'s rollback runbook exists`,
    threshold: 'present',
  };
  if (!applied) {
    return {
      ...base,
      verdict: 'skipped',
      measured: null,
      message: `skipped: no runbook yet: ${shown} is written when phase ${phase.id} is applied`,
    };
  }
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) {
    return {
      ...base,
      verdict: 'fail',
      measured: 'missing',
      message: `${shown} is missing: without it an operator has no manual way back if the tool is unavailable`,
    };
  }
  if (st.size === 0) return { ...base, verdict: 'fail', measured: 'empty', message: `${shown} is empty` };
  return { ...base, verdict: 'pass', measured: 'present', message: `${shown} (${st.size} bytes)` };
}
