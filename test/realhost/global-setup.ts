import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { defaultSource, findSources, realHostDown, realHostUp } from '../../examples/realhost/realhost.js';
import { binPath } from '../helpers/cli.js';

export interface RealHostInfo {
  dir: string;
  site: string;
  url: string;
  ports: { http: number; wsgi: number; daemon: number };
  paths: Record<string, string>;
  env: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The host the suite runs on; null when the sources are absent (the suite is skipped). */
    realhost: RealHostInfo | null;
  }
}

const banner = (lines: string[]) => {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n${lines.map((l) => `!! ${l}`).join('\n')}\n${bar}\n\n`);
};

/**
 * Builds one real Genropy host for the whole run (examples/realhost, in a temp folder, on free
 * ports) and stops every process of it at the end, pass or fail. GNR_REALHOST_DIR reuses a
 * folder (its venv is kept between runs: faster when working on the suite).
 */
export default async function setup(project: TestProject) {
  const src = findSources();
  if (!src) {
    banner([
      'REAL-HOST SUITE SKIPPED: no Genropy sources.',
      `Set GENROPY_SRC to a Genropy source folder or tarball (CI default: ${defaultSource}).`,
      'Nothing in test/realhost ran: the default plan was NOT proven on a real host.',
    ]);
    project.provide('realhost', null);
    return;
  }
  if (!existsSync(binPath.replace(/bin\/gnr-migrate\.js$/, 'dist/bundle'))) {
    throw new Error('dist/ is missing: run `npm run build` before `npm run test:realhost`');
  }
  const reuse = process.env.GNR_REALHOST_DIR;
  const dir = reuse ?? mkdtempSync(join(tmpdir(), 'gnrm-realhost-'));
  // nginx's workers run as www-data: they must be able to reach the sockets under this folder.
  chmodSync(dir, 0o755);
  const started = Date.now();
  try {
    const host = await realHostUp({
      dir,
      src,
      log: (l) => process.stderr.write(`[realhost ${new Date().toISOString().slice(11, 19)}] ${l}\n`),
    });
    process.stderr.write(
      `[realhost] host ready in ${Math.round((Date.now() - started) / 1000)} s: ${host.url}\n`,
    );
    project.provide('realhost', {
      dir: host.dir,
      site: host.site,
      url: host.url,
      ports: host.ports,
      paths: host.paths as unknown as Record<string, string>,
      env: host.env,
    });
  } catch (err) {
    await realHostDown(dir);
    if (!reuse) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return async () => {
    const { killed } = await realHostDown(dir);
    process.stderr.write(`[realhost] down (${killed.length} processes stopped)\n`);
    if (!reuse) rmSync(dir, { recursive: true, force: true });
  };
}
