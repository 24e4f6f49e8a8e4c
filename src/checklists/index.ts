/** The checklist engine: run checks of a plan, report them as a table, JSON or JUnit XML. */
export { askAcks } from './ack.js';
export { describeCheck } from './describe.js';
export { plural, renderChecklistTable, summaryLine } from './report-human.js';
export { checklistJson } from './report-json.js';
export { renderJunit, writeJunit } from './report-junit.js';
export { runChecklist, summarize } from './runner.js';
export type {
  AckAnswer,
  ChecklistContext,
  ChecklistMode,
  ChecklistOptions,
  ChecklistOutcome,
  CheckResult,
  CheckStatus,
} from './types.js';
