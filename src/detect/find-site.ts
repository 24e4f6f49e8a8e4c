import { venvOf } from './proc.js';
import { type GenropyInstance, listInstances } from './projects.js';
import { pids, type Scan } from './scan.js';

/**
 * The site: the one the running site processes name, else the only instance under the
 * projects folders; then its project, instance and folders, and the virtualenv the Genropy
 * processes run in (and whether other sites share it).
 */
export async function findSite(
  { probe, ev, selected, leaders }: Scan,
  projectsDirs: string[],
): Promise<void> {
  const instances = await listInstances(projectsDirs, probe);
  const served = [...new Set(selected.filter((g) => g.site && g.role !== 'daemon').map((g) => g.site!))];
  let inst: GenropyInstance | undefined;
  if (served.length === 1) {
    inst = instances.find((i) => i.instance === served[0]);
    if (inst)
      ev.add(
        'site',
        served[0],
        `the command line of the running site (pids ${pids(selected.filter((g) => g.site === served[0]))})`,
      );
    else
      ev.miss(
        'site',
        `the running site ${served[0]} is not an instance under ${projectsDirs.join(', ') || 'the projects of environment.xml'}`,
      );
  } else if (served.length > 1) {
    ev.miss(
      'site',
      `several sites run with this $GNRCFG (${served.join(', ')}): pass --var site=… (and instance, project) for the one to migrate`,
    );
  } else if (instances.length === 1) {
    inst = instances[0];
    ev.add('site', inst!.instance, `the only instance under ${inst!.projects} (no site process running)`);
  } else if (instances.length > 1) {
    ev.miss(
      'site',
      `no site process running and ${instances.length} instances: ${instances.map((i) => `${i.project}/${i.instance}`).join(', ')}`,
    );
  } else {
    ev.miss(
      'site',
      `no instance under the projects folders of environment.xml (${projectsDirs.join(', ') || 'none'})`,
    );
  }
  if (inst) {
    const src = `${inst.instanceDir} (projects folder of environment.xml)`;
    ev.add('projects', inst.projects, src);
    ev.add('project', inst.project, src);
    ev.add('instance', inst.instance, src);
    ev.add('instance_dir', inst.instanceDir, src);
    if (inst.siteDir)
      ev.add('site_dir', inst.siteDir, `Genropy's site lookup (pathresolver.py) for ${inst.instance}`);
  }
  const venvs = new Map<string, string>();
  for (const g of selected) {
    const v = await venvOf(g.proc, probe);
    if (v && !venvs.has(v.path)) venvs.set(v.path, `pid ${g.proc.pid} (${g.role}): ${v.how}`);
  }
  if (venvs.size === 1) {
    const [path, how] = [...venvs][0]!;
    ev.add('venv', path, how);
  } else if (venvs.size > 1) {
    ev.miss(
      'venv',
      `the Genropy processes run in ${venvs.size} virtualenvs: ${[...venvs.keys()].join(', ')}`,
    );
  } else if (probe.env.VIRTUAL_ENV) {
    ev.add('venv', probe.env.VIRTUAL_ENV, '$VIRTUAL_ENV of this environment (no Genropy process shows one)');
  } else {
    ev.miss(
      'venv',
      selected.length
        ? 'the running Genropy processes show no virtualenv (no VIRTUAL_ENV, no pyvenv.cfg above their bin/)'
        : 'no Genropy process running',
    );
  }
  const venv = ev.get('venv') as string | undefined;
  if (venv) {
    const sharing = [];
    for (const g of leaders) {
      if (g.site && g.site !== ev.get('site') && (await venvOf(g.proc, probe))?.path === venv)
        sharing.push(g);
    }
    if (sharing.length)
      ev.note(
        `other sites share the virtualenv ${venv} (${[...new Set(sharing.map((g) => g.site))].join(', ')}): installing genropy-asgi switches their register too`,
      );
  }
}
