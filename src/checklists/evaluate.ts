import type { Check } from '../plan/types.js';
import { evaluateAck } from './ack.js';
import { evaluateBuiltin } from './builtin.js';
import { evaluateEnv } from './env.js';
import { evaluateFile } from './file.js';
import { evaluateHttp } from './http.js';
import { evaluateRun } from './run.js';
import { evaluateShell } from './shell.js';
import { evaluateTcp } from './tcp.js';
import type { ChecklistContext, ChecklistOptions } from './types.js';
import { evaluateUnix } from './unix.js';
import { seconds, type Verdict } from './verdict.js';

/** One check, by kind. Kinds that cannot stop their own work get a deadline here. */
export function evaluate(check: Check, ctx: ChecklistContext, opts: ChecklistOptions): Promise<Verdict> {
  switch (check.kind) {
    case 'run':
      return evaluateRun(check, ctx, opts);
    case 'shell':
      return evaluateShell(check, ctx, opts);
    case 'http':
      return evaluateHttp(check, ctx);
    case 'tcp':
      return evaluateTcp(check, ctx);
    case 'unix':
      return evaluateUnix(check, ctx);
    case 'file':
      return withDeadline(check, evaluateFile(check, ctx));
    case 'env':
      return evaluateEnv(check, ctx);
    case 'builtin':
      // git_clean runs git through the process runner, which enforces the timeout itself.
      return check.name === 'git_clean'
        ? evaluateBuiltin(check, ctx, opts)
        : withDeadline(check, evaluateBuiltin(check, ctx, opts));
    case 'ack':
      // A person answering takes the time it takes.
      return evaluateAck(check, ctx);
  }
}

/** A file on a hung NFS mount or a huge tree to size must not hold the checklist forever. */
function withDeadline(check: Check, work: Promise<Verdict>): Promise<Verdict> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Verdict>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'timeout',
          reason: `${check.kind} ${check.id}: no result within ${seconds(check.timeoutMs)}`,
        }),
      check.timeoutMs,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
