import type { Phase } from '../plan/types.js';
import { countByStatus } from './report-human.js';
import type { ChecklistMode, ChecklistOutcome } from './types.js';

/** The JSON form of a checklist run (the `check --json` document, and a part of the dry-run's). */
export function checklistJson(phase: Phase, mode: ChecklistMode, outcome: ChecklistOutcome) {
  return {
    phase: phase.id,
    title: phase.title,
    mode,
    passed: outcome.passed,
    counts: countByStatus(outcome.results),
    blocking: outcome.blocking.map((r) => r.id),
    pending: outcome.pending.map((r) => r.id),
    results: outcome.results,
  };
}
