// @ts-check
// Sandbox stand-in for `pip` / `pip3` / `python3 -m pip` (offline: check, install, uninstall, list, freeze, show).

import { join } from 'node:path';
import { err, exit, installed, options, out, said } from '../lib/cli.js';
import { catalog, findDist, listDists, removeDist, requirementName, rmrf, writeDist } from '../lib/common.js';

export function run({ P, argv, fault }) {
  const [cmd, ...rest] = argv.filter(
    (a) => a !== '-q' && a !== '--quiet' && a !== '--disable-pip-version-check',
  );
  const { opts, pos } = options(rest, {
    values: [],
    flags: ['-y', '--yes', '-U', '--upgrade', '--no-deps', '--user'],
  });
  switch (cmd) {
    case '--version':
    case '-V':
      out(`pip 24.2 from ${P.sitePackages}/pip (python 3.11)`);
      return 0;
    case 'check': {
      if (fault === 'fail') {
        out('genropy 24.11.1 has requirement tornado>=6.3, but you have tornado 5.1.1.');
        return 1;
      }
      const dists = listDists(P.sitePackages);
      const names = new Set(dists.map((d) => d.name.toLowerCase().replace(/[-_.]+/g, '-')));
      const problems = [];
      for (const d of dists) {
        if (d.broken) problems.push(`${d.name} has an invalid METADATA file.`);
        for (const r of d.requires ?? []) {
          const n = requirementName(r)
            .toLowerCase()
            .replace(/[-_.]+/g, '-');
          if (!names.has(n))
            problems.push(`${d.name} ${d.version} requires ${requirementName(r)}, which is not installed.`);
        }
      }
      if (problems.length) {
        out(...problems);
        return 1;
      }
      out('No broken requirements found.');
      return 0;
    }
    case 'install': {
      if (fault === 'fail') {
        err(
          `ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: '${P.sitePackages}'`,
        );
        return 1;
      }
      const wanted = pos.filter((p) => !p.startsWith('-'));
      if (wanted.length === 0)
        return said(err, 1, 'ERROR: You must give at least one requirement to install');
      const toInstall = [];
      const add = (req) => {
        const name = requirementName(req);
        const known = catalog[name] ?? catalog[name.toLowerCase()];
        if (!known) {
          err(
            `ERROR: Could not find a version that satisfies the requirement ${req} (from versions: none)`,
            `ERROR: No matching distribution found for ${name}`,
          );
          exit(1);
        }
        if (installed(P, name) && !opts['-U'] && !opts['--upgrade']) {
          out(
            `Requirement already satisfied: ${name} in ${P.sitePackages} (${findDist(P.sitePackages, name).version})`,
          );
          return;
        }
        if (toInstall.some((t) => t.name === name)) return;
        out(
          `Collecting ${name}`,
          `  Using cached ${name.replace(/-/g, '_')}-${known.version}-py3-none-any.whl`,
        );
        if (!opts['--no-deps']) for (const dep of known.requires) add(dep);
        toInstall.push({ name, ...known });
      };
      for (const w of wanted) add(w);
      if (toInstall.length === 0) return 0;
      out(`Installing collected packages: ${toInstall.map((t) => t.name).join(', ')}`);
      for (const t of toInstall) {
        const dir = writeDist(P.sitePackages, t.name, t, P.venvBin, P.bin);
        if (fault === 'corrupt') rmrf(join(dir, 'METADATA'));
      }
      out(`Successfully installed ${toInstall.map((t) => `${t.name}-${t.version}`).join(' ')}`);
      return 0;
    }
    case 'uninstall': {
      if (fault === 'fail') {
        err(`ERROR: Exception: PermissionError: [Errno 13] Permission denied: '${P.sitePackages}'`);
        return 1;
      }
      for (const name of pos) {
        const d = findDist(P.sitePackages, name);
        if (!d) {
          out(`WARNING: Skipping ${name} as it is not installed.`);
          continue;
        }
        out(`Found existing installation: ${d.name} ${d.version}`, `Uninstalling ${d.name}-${d.version}:`);
        if (!opts['-y'] && !opts['--yes']) {
          out(`  Would remove:\n    ${d.dir}`, 'Proceed (Y/n)? ');
          err('ERROR: no answer on stdin (use -y)');
          return 1;
        }
        removeDist(d);
        out(`  Successfully uninstalled ${d.name}-${d.version}`);
      }
      return 0;
    }
    case 'list':
    case 'freeze': {
      const dists = listDists(P.sitePackages).sort((a, b) => a.name.localeCompare(b.name));
      if (cmd === 'list') out('Package        Version', '-------------- -------');
      for (const d of dists)
        out(cmd === 'list' ? `${d.name.padEnd(15)}${d.version}` : `${d.name}==${d.version}`);
      return 0;
    }
    case 'show': {
      let code = 0;
      for (const name of pos) {
        const d = findDist(P.sitePackages, name);
        if (!d) {
          err(`WARNING: Package(s) not found: ${name}`);
          code = 1;
          continue;
        }
        out(
          `Name: ${d.name}`,
          `Version: ${d.version}`,
          `Location: ${P.sitePackages}`,
          `Requires: ${(d.requires ?? []).map(requirementName).join(', ')}`,
        );
      }
      return code;
    }
    default:
      err(`ERROR: unknown command "${cmd}"`);
      return 1;
  }
}
