// @ts-check
// Sandbox stand-in for `python3` / `python`: `-m pip` and `-m pytest` are the stand-ins; anything else
// runs the real python3 with the sandbox's site-packages first on PYTHONPATH.

import { spawnSync } from 'node:child_process';
import { err, said } from '../lib/cli.js';
import { takeFault, which } from '../lib/common.js';
import { run as runPip } from './pip.js';
import { run as runPytest } from './pytest.js';

export function run({ P, argv, fault }) {
  if (argv[0] === '-m' && argv[1] === 'pip')
    return runPip({ P, argv: argv.slice(2), fault: takeFault(P.root, 'pip', argv.slice(2)) ?? fault });
  if (argv[0] === '-m' && argv[1] === 'pytest')
    return runPytest({ P, argv: argv.slice(2), fault: takeFault(P.root, 'pytest', argv.slice(2)) ?? fault });
  if (fault === 'fail')
    return said(err, 1, 'Traceback (most recent call last):', 'ModuleNotFoundError: No module named gnr');
  const real = which('python3', process.env.PATH, P.bin) ?? which('python', process.env.PATH, P.bin);
  if (!real) {
    err(`python3 (sandbox): no real python3 on PATH to run: python3 ${argv.join(' ').slice(0, 80)}`);
    return 127;
  }
  // The site's Python: the real interpreter, with the sandbox's site-packages first, so
  // importlib.metadata sees exactly what `pip install` put there.
  const env = {
    ...process.env,
    PYTHONPATH: [P.sitePackages, process.env.PYTHONPATH].filter(Boolean).join(':'),
    PYTHONNOUSERSITE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  const r = spawnSync(real, argv, { stdio: 'inherit', env });
  if (r.error) {
    err(`python3 (sandbox): ${r.error.message}`);
    return 127;
  }
  return r.status ?? 1;
}
