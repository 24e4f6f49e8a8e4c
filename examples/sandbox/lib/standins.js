// The programs of the sandbox host, one file each in ../programs/: `gnr`, `gnrasgiserve`,
// `genro-asgi`, `supervisorctl`, `nginx`, `systemctl`, `pip`, `python3`, `pytest`, `nats-server`.
// Each launcher in `<sandbox>/bin/` calls `main(name, argv)` with GNR_SANDBOX_ROOT set. They
// change the sandbox's files the way the real programs change a host's, print what the real
// ones print (test/e2e/sandbox-*.test.ts hold them to the outputs recorded from a real host in
// ../fixtures/realhost/), and exit with the codes the real ones use.

import { run as genroAsgi } from '../programs/genro-asgi.js';
import { run as gnr } from '../programs/gnr.js';
import { run as gnrasgiserve } from '../programs/gnrasgiserve.js';
import { run as natsServer } from '../programs/nats-server.js';
import { run as nginx } from '../programs/nginx.js';
import { run as pip } from '../programs/pip.js';
import { run as pytest } from '../programs/pytest.js';
import { run as python } from '../programs/python3.js';
import { run as supervisorctl } from '../programs/supervisorctl.js';
import { run as systemctl } from '../programs/systemctl.js';
import { Exit, err } from './cli.js';
import {
  basePackages,
  catalog,
  hangForever,
  rootFromEnv,
  sandboxPaths,
  sleep,
  takeFault,
  writeDist,
} from './common.js';

/** Entry point of every launcher. */
export async function main(name, argv) {
  const root = rootFromEnv();
  const P = sandboxPaths(root);
  const fault = takeFault(root, name, argv);
  if (fault === 'slow') await sleep(3000);
  if (fault === 'hang' && !serverStandIns.has(name)) await hangForever();
  const impl = standIns[name];
  if (!impl) {
    err(`${name}: no such sandbox stand-in`);
    process.exit(127);
  }
  try {
    const code = await impl({ P, argv, fault });
    if (typeof code === 'number') process.exitCode = code;
  } catch (e) {
    if (e instanceof Exit) process.exitCode = e.code;
    else {
      err(`${name} (sandbox): ${e?.stack ?? e}`);
      process.exitCode = 1;
    }
  }
}

/** Stand-ins that may run as servers: for them `hang` means "never listens", decided later. */
const serverStandIns = new Set(['gnr', 'gnrasgiserve', 'genro-asgi', 'nginx', 'nats-server']);

const standIns = {
  gnr,
  gnrasgiserve,
  'genro-asgi': genroAsgi,
  supervisorctl,
  nginx,
  systemctl,
  pip,
  pip3: pip,
  python3: python,
  python,
  pytest,
  'nats-server': natsServer,
};

export const standInNames = Object.keys(standIns);

/** Used by the layout: the initial packages of the site's Python. */
export function installBasePackages(P) {
  for (const [name, meta] of Object.entries(basePackages)) writeDist(P.sitePackages, name, meta);
  // genro-asgi is a prerequisite of phase 0 (its wsgi_bridge check probes the installed one);
  // it adds no gnr.web entry point, so installing it beforehand changes nothing in Genropy.
  writeDist(P.sitePackages, 'genro-asgi', catalog['genro-asgi'], P.venvBin, P.bin);
}
