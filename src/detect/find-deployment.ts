import { lookupGnrcfg } from './gnrcfg.js';
import type { HostProbe } from './probe.js';
import { classify, type GenropyProcess } from './proc.js';
import type { Evidence } from './report.js';
import { pids, type Scan } from './scan.js';

/**
 * The running Genropy processes and the $GNRCFG of each (Genropy's lookup in its own
 * environment), then the $GNRCFG to detect: the one this environment names, else the one all
 * running processes agree on; processes of any other $GNRCFG are named and left out.
 */
export async function findDeployment(probe: HostProbe, ev: Evidence): Promise<Scan> {
  const procs = await probe.processes();
  const byPid = new Map(procs.map((p) => [p.pid, p]));

  const all = procs.map(classify).filter((g): g is GenropyProcess => g !== undefined);
  // Children of a process of the same role (gunicorn workers, gnrdaemon's site registers).
  const leaders = all.filter((g) => !all.some((o) => o.proc.pid === g.proc.ppid && o.role === g.role));
  const cfgOf = new Map<number, string | undefined>();
  for (const g of leaders) {
    const home = g.proc.env.HOME || probe.home;
    cfgOf.set(g.proc.pid, (await lookupGnrcfg(g.proc.env, home, probe)).path);
  }

  // ── $GNRCFG ──────────────────────────────────────────────────────────────────────────────
  const own = await lookupGnrcfg(probe.env, probe.home, probe);
  const explicit = Boolean(probe.env.GENRO_GNRFOLDER || probe.env.VIRTUAL_ENV) && own.path !== undefined;
  const running = [...new Set([...cfgOf.values()].filter((c): c is string => c !== undefined))];
  let gnrcfg: string | undefined;
  if (explicit) {
    gnrcfg = own.path;
    ev.add('gnrcfg', gnrcfg, `Genropy's lookup in this environment: ${own.rule}`);
  } else if (running.length === 1) {
    gnrcfg = running[0];
    ev.add('gnrcfg', gnrcfg, `the environment of the running Genropy processes (pids ${pids(leaders)})`);
  } else if (running.length > 1) {
    ev.miss(
      'gnrcfg',
      `Genropy processes here use ${running.length} different $GNRCFG (${running.join(', ')}): set GENRO_GNRFOLDER to the one to migrate and run again`,
    );
  } else if (own.path) {
    gnrcfg = own.path;
    ev.add(
      'gnrcfg',
      gnrcfg,
      `Genropy's lookup in this environment: ${own.rule} (no Genropy process running)`,
    );
  } else {
    ev.miss('gnrcfg', `no $GNRCFG: ${own.rule}`);
  }
  const selected = gnrcfg === undefined ? leaders : leaders.filter((g) => cfgOf.get(g.proc.pid) === gnrcfg);
  const others = leaders.filter((g) => !selected.includes(g));
  if (others.length > 0) {
    const label = (g: GenropyProcess) =>
      cfgOf.get(g.proc.pid) ??
      (g.proc.env.GENRO_GNRFOLDER ? `${g.proc.env.GENRO_GNRFOLDER} (not a folder here)` : '(none)');
    const cfgs = [...new Set(others.map(label))].join(', ');
    ev.note(
      `other Genropy processes on this host use another $GNRCFG (${cfgs}; pids ${pids(others)}): ignored`,
    );
  }
  if (selected.length === 0)
    ev.note('no running Genropy process uses this $GNRCFG: values come from files only');
  return { probe, ev, procs, byPid, leaders, selected, ...(gnrcfg ? { gnrcfg } : {}) };
}
