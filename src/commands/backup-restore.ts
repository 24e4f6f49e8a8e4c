import { readBackup, restoreBackup } from '../backup/index.js';
import { formatBytes } from '../core/clock.js';
import { ExitCode } from '../core/errors.js';
import { restoreTotal, startBackupMeter, statusLine } from '../ui/backup-meter.js';
import { plural } from '../ui/output.js';
import { confirm } from '../ui/prompt.js';
import { recordStep, withBackupRun } from './backup-session.js';
import { type CommandContext, requireYesWithoutTerminal } from './context.js';

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
  const target = options.to ?? info.source;
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
      total: async () => restoreTotal(info),
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
          ...(options.to ? { to: options.to } : {}),
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
  out.say(
    `${out.c.green('✓')} restored ${id} into ${result.target} (${plural(result.files, 'file')}, ${formatBytes(result.bytes)})`,
  );
  if (result.snapshotId)
    out.say(
      `  the previous state is backup ${result.snapshotId} (undo: gnr-migrate backup restore ${result.snapshotId})`,
    );
  return 0;
}
