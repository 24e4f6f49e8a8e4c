import { resolve } from 'node:path';
import { lazyRunner } from '../checklists/lazy-runner.js';
import { systemClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { ensureFolderFor } from '../core/os-errors.js';
import { evaluateGate } from '../gate/evaluate.js';
import { readMetricsFile } from '../gate/metrics.js';
import { annotations, appendStepSummary } from '../gate/report-github.js';
import { renderHuman } from '../gate/report-human.js';
import { gateDocument } from '../gate/report-json.js';
import { writeGateJUnit } from '../gate/report-junit.js';
import { type CommandContext, parsePhaseId, planFor } from './context.js';

export interface GateCommandOptions {
  phase?: string;
  metrics?: string;
  baseline?: string;
  deep?: boolean;
  junit?: string;
  concurrency: number;
  ack: string[];
}

/** `gnr-migrate gate`: reads the inputs, evaluates, reports; the exit code is the verdict. */
export async function run(ctx: CommandContext, options: GateCommandOptions): Promise<number> {
  const { out } = ctx;
  const phase = options.phase !== undefined ? parsePhaseId(options.phase, '--phase') : undefined;
  if (options.baseline && !options.metrics)
    throw new InputError("--baseline needs --metrics: the new system's metrics to compare with the old");
  // A report that cannot be written is bad input, found before anything runs.
  if (options.junit) await ensureFolderFor(resolve(options.junit), 'the JUnit report');
  // Bad metrics are bad input (exit 2) before anything else runs.
  const metrics = options.metrics
    ? await readMetricsFile(options.metrics, { label: '--metrics' })
    : undefined;
  const baseline = options.baseline
    ? await readMetricsFile(options.baseline, { label: '--baseline' })
    : undefined;

  const [{ runChecklist }, { readBackup, verifyBackup }] = await Promise.all([
    import('../checklists/index.js'),
    import('../backup/index.js'),
  ]);

  const report = await evaluateGate(
    {
      ws: ctx.ws,
      loadPlan: () => planFor(ctx),
      ...(phase !== undefined ? { phase } : {}),
      ...(metrics ? { metrics } : {}),
      ...(baseline ? { baseline } : {}),
      deep: Boolean(options.deep),
      concurrency: options.concurrency,
      acks: new Set(options.ack),
      processEnv: ctx.processEnv,
      signal: ctx.signal,
    },
    { runChecklist, readBackup, verifyBackup, runner: lazyRunner, clock: systemClock },
  );

  if (options.junit) await writeGateJUnit(resolve(options.junit), report);
  out.say(renderHuman(report, out.c));
  if (options.junit) out.say(out.c.dim(`JUnit report: ${options.junit}`));

  if (ctx.processEnv.GITHUB_ACTIONS === 'true') {
    const lines = annotations(report);
    // stdout holds only the JSON document with --json (see report-github.ts).
    const stream = out.json ? out.streams.stderr : out.streams.stdout;
    for (const line of lines) stream.write(`${line}\n`);
    const summary = ctx.processEnv.GITHUB_STEP_SUMMARY;
    if (summary) {
      await appendStepSummary(summary, report).catch((err: Error) =>
        out.warn(`could not append the job summary to ${summary}: ${err.message}`),
      );
    }
  }
  if (out.json) out.data(gateDocument(report));
  return report.exitCode;
}
