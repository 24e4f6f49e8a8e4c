import type { ProcessRunner } from '../core/process.js';

/**
 * The process runner, loaded on the first command check: a checklist of files and ports never
 * pays for execa (PERF-NOTES: +54 ms at start-up).
 */
export const lazyRunner: ProcessRunner = async (req) => {
  const { runProcess } = await import('../core/process.js');
  return runProcess(req);
};
