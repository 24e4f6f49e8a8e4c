import { listBackups, readBackup, verifyBackup } from '../backup/index.js';
import type { VerifyReport } from '../backup/types.js';
import { ExitCode } from '../core/errors.js';
import { plural } from '../ui/output.js';
import type { CommandContext } from './context.js';

/** `backup verify [ID]`: re-hash every file of one backup (default: all) against its manifest. */
export async function run(ctx: CommandContext, id?: string): Promise<number> {
  const { out, ws } = ctx;
  const ids = id ? [(await readBackup(ws, id)).id] : (await listBackups(ws)).map((b) => b.id);
  const reports: VerifyReport[] = [];
  for (const backupId of ids) {
    const report = await verifyBackup(ws, backupId, { deep: true, signal: ctx.signal });
    reports.push(report);
    if (out.json) continue;
    if (report.ok) {
      out.say(`${out.c.green('✓')} ${backupId} · ${plural(report.files, 'file')} verified`);
      continue;
    }
    out.say(`${out.c.red('✗')} ${backupId} · ${report.problems.length} problem(s):`);
    for (const p of report.problems.slice(0, 50))
      out.say(`    ${p.kind.padEnd(8)} ${JSON.stringify(p.path)}  ${p.detail}`);
    if (report.problems.length > 50)
      out.say(`    and ${report.problems.length - 50} more (--json lists them all)`);
  }
  const ok = reports.every((r) => r.ok);
  if (out.json) out.data({ ok, reports });
  else if (ids.length === 0) out.say(`No backups in ${ws.backupsDir}.`);
  return ok ? ExitCode.ok : ExitCode.failed;
}
