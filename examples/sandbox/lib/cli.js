// @ts-check
// What every sandbox stand-in shares: output, exit codes, a tiny option reader, package checks.

import { findDist } from './common.js';

export const out = (...lines) => process.stdout.write(`${lines.join('\n')}\n`);
export const err = (...lines) => process.stderr.write(`${lines.join('\n')}\n`);

/** Prints lines with `print` (out or err) and returns the exit code. */
export const said = (print, code, ...lines) => {
  print(...lines);
  return code;
};

export class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}
export const exit = (code) => {
  throw new Exit(code);
};

/** Tiny option reader: `-p 8080`, `--port 8080`, `--port=8080`, flags, positionals. */
export function options(argv, { values = [], flags = [] } = {}) {
  const opts = {};
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const key = eq > 0 ? a.slice(0, eq) : a;
    if (values.includes(key)) {
      opts[key] = eq > 0 ? a.slice(eq + 1) : argv[++i];
    } else if (flags.includes(key)) opts[key] = true;
    else pos.push(a);
  }
  return { opts, pos };
}

export const installed = (P, pkg) => findDist(P.sitePackages, pkg) !== null;

export function requirePackage(P, pkg, program) {
  if (!installed(P, pkg)) {
    err(`${program}: command not found (the ${pkg} package is not installed in the site's Python)`);
    exit(127);
  }
}
