import { cleanTemporaries, createBackup } from '../backup/index.js';
import type { BackupInfo } from '../backup/types.js';
import { formatBytes } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { startBackupMeter, statusLine } from '../ui/backup-meter.js';
import { plural } from '../ui/output.js';
import { recordStep, withBackupRun } from './backup-session.js';
import { type CommandContext, planFor } from './context.js';

/** `backup create [SYSTEM...]`: back up systems of the plan now, outside any phase. */
export async function run(ctx: CommandContext, systems: string[] = []): Promise<number> {
  const { out, ws } = ctx;
  const plan = await planFor(ctx);
  const known = Object.keys(plan.systems);
  if (known.length === 0) throw new InputError(`the plan ${plan.file} has no systems to back up`);
  const unknown = systems.filter((s) => !plan.systems[s]);
  if (unknown.length > 0)
    throw new InputError(
      `unknown system${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (systems of the plan: ${known.join(', ')})`,
    );
  const names = systems.length > 0 ? [...new Set(systems)] : known;

  const made: BackupInfo[] = [];
  const runId = await withBackupRun(ctx, async (record) => {
    for (const note of await cleanTemporaries(ws)) out.say(out.c.dim(note));
    for (const name of names) {
      const system = plan.systems[name]!;
      out.say(`Backing up ${name} (${system.path})…`);
      // Files, bytes, rate and ETA while it runs (a 46k-file backup takes tens of seconds).
      const line = statusLine(out);
      const meter = startBackupMeter({
        report: (m) => {
          line.show(m.line);
          out.event({ event: 'progress', id: name, ...m });
        },
        everyMs: out.interactive ? 1000 : 10_000,
      });
      const info = await recordStep(
        record,
        { id: name, stage: 'backup' },
        () =>
          createBackup({
            ws,
            system,
            phase: null,
            runId: record.id,
            signal: ctx.signal,
            onExtent: meter.setTotal,
          }),
        (i) => i.id,
      ).finally(() => {
        meter.stop();
        line.done();
      });
      await record.update((r) => {
        r.backups.push(info.id);
      });
      made.push(info);
      out.say(`  ${out.c.green('✓')} ${info.id} · ${describe(info)}`);
      for (const line of describeSkipped(info)) out.warn(line);
    }
    return record.id;
  });
  if (out.json) out.data({ ok: true, runId, backups: made });
  return 0;
}

/** What a backup saw and did not keep, shown (not only written into the manifest). */
export function describeSkipped(info: BackupInfo, max = 10): string[] {
  const skipped = info.skipped ?? [];
  if (skipped.length === 0) return [];
  const shown = skipped.slice(0, max).map((s) => `  ${JSON.stringify(s.path)}: ${s.reason}`);
  return [
    `${info.id}: ${skipped.length} ${skipped.length === 1 ? 'entry' : 'entries'} not kept:\n${shown.join('\n')}` +
      (skipped.length > max ? `\n  and ${skipped.length - max} more (see its manifest.json)` : ''),
  ];
}

export function describe(info: BackupInfo): string {
  const linked = info.linkedFiles ? ` · ${info.linkedFiles} unchanged, linked from ${info.previous}` : '';
  return `${plural(info.files, 'file')} · ${formatBytes(info.bytes)}${linked}`;
}
