import type { CheckResult } from '../checklists/types.js';
import type { Phase } from '../plan/types.js';
import type { GateItem } from './types.js';

/**
 * One gate item per check, so each is its own JUnit test case (`checklist: environment_xml`)
 * and a CI report points at the very check that failed.
 *
 * Which list: a phase that is not applied yet is gated on its pre-migration checklist
 * (`checks:`). An applied phase is gated on its success criteria (`verify:`): its pre-checks
 * describe the world before it (phase 4 asserts the gnrdaemon port is open, which phase 4
 * closes), so a redeploy of an applied phase would otherwise fail for good.
 */
export type ChecklistKind = 'checklist' | 'verify';

export function checksFor(phase: Phase, applied: boolean): { kind: ChecklistKind; checks: Phase['checks'] } {
  return applied ? { kind: 'verify', checks: phase.verify } : { kind: 'checklist', checks: phase.checks };
}

export function noChecksItem(phase: Phase, kind: ChecklistKind): GateItem {
  return {
    id: kind,
    group: kind,
    title:
      kind === 'verify' ? `phase ${phase.id}'s verify checks pass` : `phase ${phase.id}'s checklist passes`,
    verdict: 'skipped',
    measured: null,
    threshold: null,
    message: `skipped: phase ${phase.id} has no ${kind === 'verify' ? 'verify' : 'pre-migration'} checks in the plan`,
  };
}

export function checkItem(result: CheckResult, kind: ChecklistKind): GateItem {
  const verdict =
    result.status === 'pass'
      ? 'pass'
      : result.status === 'pending'
        ? 'skipped'
        : result.blocking
          ? 'fail'
          : 'warn';
  return {
    id: `${kind}: ${result.id}`,
    group: kind,
    title: result.title,
    verdict,
    measured: result.status,
    threshold: result.severity === 'warn' ? 'pass (warn only)' : 'pass',
    message: verdict === 'skipped' ? `skipped: ${result.reason}` : result.reason,
    durationMs: result.durationMs,
    ...(result.outputTail ? { details: result.outputTail } : {}),
  };
}
