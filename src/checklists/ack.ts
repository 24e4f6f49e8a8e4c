import { currentUser } from '../core/host.js';
import type { Check } from '../plan/types.js';
import type { AckAnswer, ChecklistContext } from './types.js';
import { fail, pass, pending, type Verdict } from './verdict.js';

type AckCheck = Extract<Check, { kind: 'ack' }>;

/** Modes in which a person may be asked: never in a dry-run (it only reports) or a CI gate. */
const askingModes = new Set<ChecklistContext['mode']>(['check', 'apply', 'confirm', 'verify']);

/**
 * `ack: "question"`: a person's attestation. `--ack ID` answers it (CI); otherwise it is asked
 * on a terminal. Without either it is pending where nothing is at stake (dry-run, check) and
 * fails where the run would go on without it (apply, gate).
 */
export async function evaluateAck(check: AckCheck, ctx: ChecklistContext): Promise<Verdict> {
  const q = JSON.stringify(check.question);
  if (ctx.acks.has(check.id))
    return {
      ...pass(`acknowledged with --ack ${check.id}`),
      ack: { by: currentUser(), at: ctx.clock.now().toISOString(), via: 'flag' },
    };
  let answer = ctx.answers?.get(check.id);
  if (!answer && ctx.prompt && askingModes.has(ctx.mode)) answer = await ask(check, ctx);
  if (answer)
    return answer.yes
      ? {
          ...pass(`acknowledged on the terminal by ${answer.by}`),
          ack: { by: answer.by, at: answer.at, via: 'tty' },
        }
      : fail(`not acknowledged: ${q} was answered no`);
  if (ctx.mode === 'dry-run' || ctx.mode === 'check')
    return pending(`needs --ack ${check.id} or a terminal: ${q}`);
  return fail(`not acknowledged: ${q} — pass --ack ${check.id} (there is no terminal to ask on)`);
}

/**
 * Asks every unanswered `ack` of a checklist, one after another, before the checklist runs:
 * a question asked while a live progress view redraws would be garbled.
 */
export async function askAcks(checks: Check[], ctx: ChecklistContext): Promise<Map<string, AckAnswer>> {
  const answers = new Map<string, AckAnswer>();
  if (!ctx.prompt || !askingModes.has(ctx.mode)) return answers;
  for (const check of checks) {
    if (check.kind !== 'ack' || ctx.acks.has(check.id)) continue;
    if (ctx.signal?.aborted) break;
    answers.set(check.id, await ask(check, ctx));
  }
  return answers;
}

async function ask(check: AckCheck, ctx: ChecklistContext): Promise<AckAnswer> {
  const yes = (await ctx.prompt?.(check.question)) ?? false;
  return { yes, by: currentUser(), at: ctx.clock.now().toISOString() };
}
