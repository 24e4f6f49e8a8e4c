import { descendsFrom, type ServerProcess } from './proc.js';
import type { Scan } from './scan.js';
import { daemonUnit, readSystemd } from './systemd.js';

/**
 * How gnrdaemon runs: systemd units, per-site or central, its address as the plan writes it,
 * and whether supervisord or systemd manages it.
 */
export async function findDaemonService(
  { probe, ev, byPid, selected }: Scan,
  parent: ServerProcess | undefined,
): Promise<void> {
  const sd = await readSystemd(probe);
  if (sd.unavailable) ev.note(`systemd: ${sd.unavailable} (units not listed)`);
  const unit = daemonUnit(sd);
  if (unit)
    ev.add(
      'daemon_unit',
      unit.name,
      unit.file ? `${unit.file} ExecStart=${unit.execStart ?? ''}` : 'systemctl list-units',
    );
  if (sd.units.length)
    ev.note(
      `systemd units: ${sd.units.map((u) => `${u.name}${u.active ? ` (${u.active})` : ''}`).join(', ')}`,
    );
  const daemonProc = selected.find((g) => g.role === 'daemon');
  if (daemonProc?.perSite)
    ev.note(`gnrdaemon runs per site (gnr web daemon ${daemonProc.site}, pid ${daemonProc.proc.pid})`);
  if (!daemonProc && selected.length) ev.note('no gnrdaemon process runs with this $GNRCFG');
  if (daemonProc && !(parent && descendsFrom(daemonProc.proc.pid, parent.proc.pid, byPid)) && !unit)
    ev.note(
      `gnrdaemon (pid ${daemonProc.proc.pid}) runs under neither supervisord nor a systemd unit found here`,
    );

  const dSock = ev.get('daemon_socket');
  const dPort = ev.get('daemon_port');
  if (dSock !== undefined) ev.add('daemon_address', `unix:${dSock}`, 'daemon_socket');
  else if (dPort !== undefined)
    ev.add('daemon_address', `${ev.get('daemon_host')}:${dPort}`, 'daemon_host:daemon_port');
  const daemonUnderSup = Boolean(
    daemonProc && parent && descendsFrom(daemonProc.proc.pid, parent.proc.pid, byPid),
  );
  if (daemonProc && parent && daemonUnderSup && ev.has('prog_daemon'))
    ev.add(
      'daemon_service',
      'supervisor',
      `gnrdaemon (pid ${daemonProc.proc.pid}) runs under supervisord pid ${parent.proc.pid}`,
    );
  else if (unit && !daemonUnderSup) ev.add('daemon_service', 'systemd', `the systemd unit ${unit.name}`);
  else if (ev.has('prog_daemon'))
    ev.add('daemon_service', 'supervisor', `${ev.get('prog_daemon')} is a supervisord program`);
  if (unit && !ev.has('prog_daemon'))
    ev.miss('prog_daemon', `gnrdaemon runs as the systemd unit ${unit.name}, not as a supervisord program`);
}
