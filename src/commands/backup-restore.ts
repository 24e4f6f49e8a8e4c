import { planRestoreTarget, readBackup, restoreBackup } from '../backup/index.js';
import { formatBytes } from '../core/clock.js';
import { ExitCode } from '../core/errors.js';
import { restoreTotal, startBackupMeter, statusLine } from '../ui/backup-meter.js';
import { plural } from '../ui/output.js';
import { confirm } from '../ui/prompt.js';
import { recordStep, withBackupRun } from './backup-session.js';
import { type CommandContext, planFor, requireYesWithoutTerminal } from './context.js';

/**
 * `backup restore ID [--to PATH]`: verify, snapshot the target, make it exactly the backup.
 * Asks first on a terminal (unless --yes); without a terminal it does not ask (DESIGN §4).
 */
export async function run(
  ctx: CommandContext,
  id: string,
  options: { to?: string; yes?: boolean },
): Promise<number> {
  const { out, ws } = ctx;
  const info = await readBackup(ws, id);
  // The target is the plan's path of the system (or --to), never the manifest's `source`.
  const to = options.to ?? planRestoreTarget((await planFor(ctx)).systems, info.system);
  const target = to ?? info.source;
  requireYesWithoutTerminal(ctx, options.yes, `restoring ${id} replaces ${target}`);
  if (!options.yes && out.canPrompt) {
    const question = `Replace ${target} with backup ${id} (${plural(info.files, 'file')}, ${formatBytes(info.bytes)})? The current state is backed up first.`;
    if (!(await confirm(out, question, ctx.signal))) {
      out.say('declined: nothing was changed');
      return ExitCode.failed;
    }
  }
  const result = await withBackupRun(ctx, async (record) => {
    // Files, bytes, rate and ETA while it verifies and copies (ui/backup-meter.ts).
    const line = statusLine(out);
    const meter = startBackupMeter({
      total: restoreTotal(info),
      report: (m) => {
        line.show(m.line);
        out.event({ event: 'progress', id, ...m });
      },
      everyMs: out.interactive ? 1000 : 10_000,
    });
    const res = await recordStep(
      record,
      { id, stage: 'restore' },
      () =>
        restoreBackup({
          ws,
          id,
          to,
          phase: null,
          runId: record.id,
          signal: ctx.signal,
        }),
      (r) => `${r.target} restored${r.snapshotId ? `; previous state in ${r.snapshotId}` : ''}`,
    ).finally(() => {
      meter.stop();
      line.done();
    });
    if (res.snapshotId) {
      const snap = res.snapshotId;
      await record.update((r) => {
        r.snapshots.push(snap);
      });
    }
    return { ...res, runId: record.id };
  });
  if (out.json) {
    out.data({ ok: true, ...result });
    return 0;
  }
  // With --to the operator chose another place; without, the plan's path wins over the backup's.
  if (result.sourceMismatch !== undefined && !options.to)
    out.warn(
      `backup ${id} was taken of ${result.sourceMismatch}; it was restored into ${result.target}, the plan's path of system ${info.system}, not there`,
    );
  if (result.leftOut?.length)
    out.warn(
      `not carried over from the old tree (the backup has a symlink on their way, which a restore never writes through): ${result.leftOut.join(', ')}`,
    );
  out.say(
    `${out.c.green('✓')} restored ${id} into ${result.target} (${plural(result.files, 'file')}, ${formatBytes(result.bytes)})`,
  );
  if (result.snapshotId)
    out.say(
      `  the previous state is backup ${result.snapshotId} (undo: gnr-migrate backup restore ${result.snapshotId})`,
    );
  return 0;
}
