import { join } from 'node:path';
import type { HostProbe } from './probe.js';

export interface SystemdUnit {
  name: string;
  /** active/inactive…, from `systemctl list-units`; undefined when only its file was seen. */
  active?: string;
  file?: string;
  execStart?: string;
}

export interface SystemdView {
  /** Why systemctl gave nothing (not installed, not booted with systemd). */
  unavailable?: string;
  units: SystemdUnit[];
}

const interesting = /gnr|genro|supervisor|nginx/i;

/**
 * Units that run Genropy or its front: gnrdeploy.py writes `gnrdaemon[_<venv>].service`
 * (ExecStart=…/gnrdaemon) and `gnrsiterunner[_<venv>].service` (supervisord); nginx and
 * supervisor are Debian's own units. Read from `systemctl list-units` and from the unit files
 * in /etc/systemd/system.
 */
export async function readSystemd(probe: HostProbe): Promise<SystemdView> {
  const view: SystemdView = { units: [] };
  const r = await probe.run([
    'systemctl',
    'list-units',
    '--type=service',
    '--all',
    '--no-legend',
    '--plain',
    '--no-pager',
  ]);
  if (r.error || r.exit !== 0) {
    view.unavailable = (r.error ?? (r.stderr.trim() || r.stdout.trim()).split('\n')[0]) || `exit ${r.exit}`;
  } else {
    for (const line of r.stdout.split('\n')) {
      const [name, , active] = line.trim().split(/\s+/);
      if (name?.endsWith('.service') && interesting.test(name))
        view.units.push({ name, ...(active ? { active } : {}) });
    }
  }
  const dir = join(probe.root, 'etc/systemd/system');
  for (const f of await probe.list(dir)) {
    if (!f.endsWith('.service')) continue;
    const text = (await probe.readText(join(dir, f))) ?? '';
    const exec = /^ExecStart=(.*)$/m.exec(text)?.[1]?.trim();
    if (!interesting.test(f) && !(exec && /gnr/.test(exec))) continue;
    const known = view.units.find((u) => u.name === f);
    if (known) {
      known.file = join(dir, f);
      if (exec) known.execStart = exec;
    } else {
      view.units.push({ name: f, file: join(dir, f), ...(exec ? { execStart: exec } : {}) });
    }
  }
  return view;
}

/** The unit that runs gnrdaemon, if any. */
export function daemonUnit(view: SystemdView): SystemdUnit | undefined {
  return view.units.find(
    (u) => (u.execStart && /gnrdaemon|web\s+daemon/.test(u.execStart)) || /^gnrdaemon/.test(u.name),
  );
}
