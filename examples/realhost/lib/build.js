// @ts-check
// What a real Genropy host is built from: Debian's packages (apt, as root) and the Genropy
// sources (a folder or a tarball, GENROPY_SRC), installed into a virtualenv that sees Debian's
// Python packages. No PyPI: everything comes from the sources and from Debian.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Debian 12 packages Genropy imports at run time (what `pip install genropy` would pull from
 * PyPI), plus the programs of a deployment: nginx, supervisord, curl. Debian's python3 owns
 * the python3-* packages, so the virtualenv is made from /usr/bin/python3 with
 * --system-site-packages.
 */
export const aptPackages = [
  'python3-pyro4',
  'python3-serpent',
  'gunicorn',
  'python3-gunicorn',
  'python3-lxml',
  'python3-werkzeug',
  'python3-mako',
  'python3-babel',
  'python3-dateutil',
  'python3-tz',
  'python3-yaml',
  'python3-psutil',
  'python3-requests',
  'python3-six',
  'python3-tzlocal',
  'python3-unidecode',
  'python3-simpleeval',
  'python3-paramiko',
  'python3-aiohttp',
  'python3-multidict',
  'python3-yarl',
  'python3-frozenlist',
  'python3-aiosignal',
  'python3-attr',
  'python3-openpyxl',
  'python3-xlrd',
  'python3-xlwt',
  'python3-watchgod',
  'python3-smart-open',
  'python3-vobject',
  'python3-caldav',
  'python3-redbaron',
  'python3-docutils',
  'python3-jsmin',
  'python3-cryptography',
  'python3-chardet',
  'python3-dulwich',
  'python3-boto3',
  'python3-pypdf2',
  'python3-fitz',
  'python3-packaging',
  'python3-clevercsv',
  'python3-watchdog',
  'python3-pyotp',
  'python3-qrcode',
  'python3-hatchling',
  'python3-pytest',
  'nginx',
  'supervisor',
  'python3-venv',
  'python3-pip',
  'python3-setuptools',
  'python3-wheel',
  'curl',
];

/** @param {(line: string) => void} log */
export function installDebianPackages(log) {
  const missing = aptPackages.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return !(r.status === 0 && r.stdout.includes('ok installed'));
  });
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    throw new Error(`these Debian packages are missing and only root can install them: ${missing.join(' ')}`);
  }
  log(`apt-get install ${missing.join(' ')}`);
  // Another apt run (a second harness, unattended-upgrades) may hold the lock: wait for it.
  const apt = ['-o', 'DPkg::Lock::Timeout=900'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', [...apt, 'update', '-qq'], { env });
  run('apt-get', [...apt, 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  return missing;
}

/**
 * Where the sources are: `GENROPY_SRC` is a tarball (`*.tar.gz`, `*.tgz`) or a folder holding
 * `genropy/` (with `gnrpy/`), and optionally `genropy-asgi/`, `aiohttp/`, `dictdiffer/`.
 * @param {string} src @param {string} dest extraction folder for a tarball
 * @returns {string} the folder holding genropy/
 */
export function prepareSources(src, dest, log) {
  if (!existsSync(src)) throw new Error(`GENROPY_SRC ${src} does not exist`);
  let root = src;
  if (statSync(src).isFile()) {
    log(`extracting ${src}`);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    run('tar', ['-xzf', src, '-C', dest]);
    root = dest;
  }
  if (!existsSync(join(root, 'genropy/gnrpy'))) {
    throw new Error(
      `${src} holds no genropy/gnrpy: GENROPY_SRC must be the realhost source tarball or such a folder`,
    );
  }
  return root;
}

/**
 * The virtualenv: genropy (gnrpy) installed from the sources without dependencies (Debian has
 * them), aiohttp 3.9.5 when the sources carry it (Debian's 3.8.4 lacks `web.AppKey`, which
 * gnr.web.gnrasync imports), dictdiffer copied in (gnr.sql imports it; not in Debian), and a
 * wheelhouse with genropy-asgi so that `pip install genropy-asgi` works offline.
 */
export function buildVenv(dir, srcRoot, log) {
  const venv = join(dir, 'venv');
  const pip = join(venv, 'bin/pip');
  const quiet = ['-q', '--no-deps', '--no-build-isolation', '--no-index'];
  // No byte-compiling of genropy's thousands of modules at install (pip's default): Python
  // compiles only what it imports, on first import. (Its share of the build was not measured
  // apart: the machine was too loaded for a fair figure.)
  const install = ['install', ...quiet, '--no-compile'];
  rmSync(venv, { recursive: true, force: true });
  log('python3 -m venv --system-site-packages venv; pip install --no-deps genropy');
  run('/usr/bin/python3', ['-m', 'venv', '--system-site-packages', venv]);
  run(pip, [...install, join(srcRoot, 'genropy/gnrpy')]);
  if (existsSync(join(srcRoot, 'aiohttp'))) {
    run(pip, [...install, join(srcRoot, 'aiohttp')], {
      env: { ...process.env, AIOHTTP_NO_EXTENSIONS: '1' },
    });
  }
  if (existsSync(join(srcRoot, 'dictdiffer/dictdiffer'))) {
    const purelib = run(join(venv, 'bin/python'), [
      '-c',
      'import sysconfig; print(sysconfig.get_paths()["purelib"])',
    ]).trim();
    cpSync(join(srcRoot, 'dictdiffer/dictdiffer'), join(purelib, 'dictdiffer'), { recursive: true });
  }
  const wheelhouse = join(dir, 'wheelhouse');
  rmSync(wheelhouse, { recursive: true, force: true });
  mkdirSync(wheelhouse, { recursive: true });
  const asgi = join(srcRoot, 'genropy-asgi');
  if (existsSync(join(asgi, 'pyproject.toml'))) {
    // Debian's hatchling 1.12 rejects the "Python :: 3.13" classifier: build from a copy
    // without that line (the sources themselves stay untouched).
    const copy = join(dir, 'run/genropy-asgi-src');
    rmSync(copy, { recursive: true, force: true });
    cpSync(asgi, copy, { recursive: true });
    const toml = join(copy, 'pyproject.toml');
    writeFileSync(
      toml,
      readFileSync(toml, 'utf8')
        .split('\n')
        .filter((l) => !l.includes('Programming Language :: Python :: 3.13'))
        .join('\n'),
    );
    log('pip wheel genropy-asgi into wheelhouse/');
    run(pip, ['wheel', ...quiet, '-w', wheelhouse, copy]);
    rmSync(copy, { recursive: true, force: true });
  } else {
    log('no genropy-asgi in the sources: the wheelhouse stays empty');
  }
  return venv;
}

/**
 * Runs a program, throws with its output when it fails.
 * @param {string} cmd @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [opts]
 */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${tail}`);
  }
  return r.stdout;
}
