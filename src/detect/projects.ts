import { basename, dirname, join } from 'node:path';
import type { HostProbe } from './probe.js';

export interface GenropyInstance {
  /** The folder holding the project (a `<projects>` path of environment.xml). */
  projects: string;
  project: string;
  instance: string;
  instanceDir: string;
  /** The site folder: <project>/sites/<instance>, else <instance>/site when root.py is in the instance. */
  siteDir?: string;
}

/**
 * Every instance under the projects folders, as Genropy's PathResolver finds them
 * (gnrpy/gnr/app/pathresolver.py): `<projects>/<project>/instances/<name>`; the site of the
 * same name is `<projects>/<project>/sites/<name>`, or `<instance>/site` when the instance
 * holds root.py (what `gnr dev mkproject` makes).
 */
export async function listInstances(projectsDirs: string[], probe: HostProbe): Promise<GenropyInstance[]> {
  const found: GenropyInstance[] = [];
  for (const projects of projectsDirs) {
    for (const project of (await probe.list(projects)).sort()) {
      const instances = join(projects, project, 'instances');
      for (const instance of (await probe.list(instances)).sort()) {
        const instanceDir = join(instances, instance);
        if (!(await probe.isDir(instanceDir))) continue;
        const inst: GenropyInstance = { projects, project, instance, instanceDir };
        const sites = join(projects, project, 'sites', instance);
        if (await probe.isDir(sites)) inst.siteDir = sites;
        else if (await probe.isFile(join(instanceDir, 'root.py'))) inst.siteDir = join(instanceDir, 'site');
        found.push(inst);
      }
    }
  }
  return found;
}

/** The instance a path belongs to (a site folder, a config file inside an instance). */
export function instanceOfPath(path: string, all: GenropyInstance[]): GenropyInstance | undefined {
  return all.find(
    (i) =>
      path === i.instanceDir ||
      path.startsWith(`${i.instanceDir}/`) ||
      (i.siteDir && path.startsWith(`${i.siteDir}/`)),
  );
}

export const siteNameOf = (siteDir: string) =>
  basename(siteDir) === 'site' ? basename(dirname(siteDir)) : basename(siteDir);
