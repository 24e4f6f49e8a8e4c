import { listBackups } from '../backup/index.js';
import { formatAge, formatBytes } from '../core/clock.js';
import { table } from '../ui/output.js';
import type { CommandContext } from './context.js';

/** `backup list`: the complete backups, oldest first. */
export async function run(ctx: CommandContext): Promise<number> {
  const { out, ws } = ctx;
  const backups = await listBackups(ws);
  if (out.json) {
    out.data({ backupsDir: ws.backupsDir, backups });
    return 0;
  }
  if (backups.length === 0) {
    out.say(`No backups in ${ws.backupsDir}.`);
    return 0;
  }
  const now = new Date();
  const rows = backups.map((b) => [
    b.system,
    b.id,
    b.phase === null ? (b.damaged ? '?' : 'by hand') : `phase ${b.phase}`,
    b.damaged ? out.c.red('damaged') : String(b.files),
    b.damaged ? '' : formatBytes(b.bytes),
    b.createdAt ? formatAge(new Date(b.createdAt), now) : '?',
  ]);
  out.say(table([['SYSTEM', 'ID', 'PHASE', 'FILES', 'BYTES', 'AGE'].map((h) => out.c.dim(h)), ...rows]));
  for (const b of backups.filter((x) => x.damaged))
    out.warn(`${b.id}: ${b.damaged} (\`gnr-migrate backup verify ${b.id}\`)`);
  return 0;
}
