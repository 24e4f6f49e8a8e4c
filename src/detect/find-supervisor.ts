import { dirname, join } from 'node:path';
import { asSupervisord, descendsFrom, type GenropyRole, type ServerProcess } from './proc.js';
import type { Scan } from './scan.js';
import { parseSupervisorStatus, readSupervisorConfig, type SupervisorConfig } from './supervisord.js';

export const roleVar: Partial<Record<GenropyRole, string>> = {
  daemon: 'prog_daemon',
  wsgi: 'prog_wsgi',
  async: 'prog_async',
  taskscheduler: 'prog_taskscheduler',
  taskworker: 'prog_taskworker',
};

/**
 * supervisord: the running one that is the parent of the Genropy processes (else a file with
 * Genropy programs in the usual places), its programs by role, `supervisorctl status`.
 * Returns the running supervisord, if any.
 */
export async function findSupervisor({
  probe,
  ev,
  procs,
  byPid,
  selected,
  gnrcfg,
}: Scan): Promise<ServerProcess | undefined> {
  const supervisords = procs.map(asSupervisord).filter((s) => s !== undefined);
  const parent = supervisords.find((s) => selected.some((g) => descendsFrom(g.proc.pid, s.proc.pid, byPid)));
  let sup: SupervisorConfig | undefined;
  if (parent?.config) {
    sup = await readSupervisorConfig(parent.config, probe);
    if (sup)
      ev.add(
        'supervisor_conf',
        parent.config,
        `the running supervisord -c (pid ${parent.proc.pid}), parent of the Genropy processes`,
      );
    else
      ev.miss(
        'supervisor_conf',
        `supervisord pid ${parent.proc.pid} reads ${parent.config}, which cannot be read`,
      );
  } else if (parent) {
    ev.miss(
      'supervisor_conf',
      `supervisord pid ${parent.proc.pid} runs without -c (its default search path): pass --var supervisor_conf=…`,
    );
  } else {
    const candidates = [
      ...(gnrcfg ? [join(gnrcfg, 'supervisord.conf')] : []),
      join(probe.root, 'etc/supervisor/supervisord.conf'),
      join(probe.root, 'etc/supervisord.conf'),
    ];
    for (const c of candidates) {
      if (!(await probe.isFile(c))) continue;
      const conf = await readSupervisorConfig(c, probe);
      if (conf?.programs.some((p) => p.role && p.role !== 'nginx')) {
        sup = conf;
        ev.add(
          'supervisor_conf',
          c,
          `a supervisord file with Genropy programs (no supervisord running as their parent)`,
        );
        break;
      }
    }
    if (!sup)
      ev.miss(
        'supervisor_conf',
        `no supervisord runs the Genropy processes and none of ${candidates.join(', ')} defines Genropy programs`,
      );
  }
  // The folder holding supervisord's configuration (backed up whole: the main file and its
  // conf.d/ includes), not only the include folder.
  if (sup) ev.add('supervisor_dir', dirname(sup.file), `the folder of ${sup.file}`);
  if (sup?.includeDirs.length)
    ev.note(`supervisord includes ${sup.includeDirs.join(', ')} (${sup.includes.length} files)`);
  for (const [role, name] of Object.entries(roleVar) as [GenropyRole, string][]) {
    const proc = selected.find((g) => g.role === role && g.proc.env.SUPERVISOR_PROCESS_NAME);
    if (proc) {
      const { SUPERVISOR_PROCESS_NAME: p, SUPERVISOR_GROUP_NAME: g } = proc.proc.env;
      ev.add(
        name,
        g && g !== p ? `${g}:${p}` : p!,
        `SUPERVISOR_PROCESS_NAME of pid ${proc.proc.pid} (${role})`,
      );
      continue;
    }
    const progs = (sup?.programs ?? []).filter((p) => p.role === role);
    const site = ev.get('site') as string | undefined;
    const mine = progs.length > 1 && site ? progs.filter((p) => p.command.includes(site)) : progs;
    if (mine.length === 1)
      ev.add(name, mine[0]!.name, `${mine[0]!.file} [program:${mine[0]!.name.split(':').pop()}] command`);
    else if (mine.length > 1)
      ev.miss(name, `${mine.length} ${role} programs in ${sup!.file}: ${mine.map((p) => p.name).join(', ')}`);
  }
  const wsgiProg = sup?.programs.find((p) => p.name === ev.get('prog_wsgi'));
  if (wsgiProg) ev.add('supervisor_program_file', wsgiProg.file, `the file that defines ${wsgiProg.name}`);
  if (sup) {
    const st = await probe.run(['supervisorctl', '-c', sup.file, 'status']);
    const rows = parseSupervisorStatus(st.stdout);
    if (st.error || rows.length === 0) {
      ev.note(
        `supervisorctl -c ${sup.file} status gave no programs (${st.error ?? (st.stderr.trim().split('\n')[0] || `exit ${st.exit}`)})`,
      );
    } else {
      ev.note(`supervisorctl status: ${rows.map((r) => `${r.name} ${r.state}`).join(', ')}`);
      const down = rows.filter((r) => r.state !== 'RUNNING');
      if (down.length)
        ev.note(`not running under supervisord: ${down.map((r) => `${r.name} (${r.state})`).join(', ')}`);
      for (const v of Object.values(roleVar)) {
        const n = ev.get(v!);
        if (n !== undefined && !rows.some((r) => r.name === n))
          ev.note(`${v}=${n} is not among the programs supervisorctl shows`);
      }
    }
  }

  return parent;
}
