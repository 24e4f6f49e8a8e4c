import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { RealHostInfo } from './global-setup.js';

/** The host of this run (global-setup.ts), or null when the suite is skipped. */
export const host: RealHostInfo | null = inject('realhost');

/** The environment of a migration rehearsal on the host (its venv on PATH, GENRO_GNRFOLDER, offline pip). */
export function rehearsalEnv(h: RealHostInfo): Record<string, string> {
  return { ...h.env, NO_COLOR: '1', GNR_MIGRATE_CACHE: '0' };
}

/** Runs a program of the host (gnr, supervisorctl, python) with the rehearsal environment. */
export function onHost(h: RealHostInfo, argv: string[], timeoutMs = 120_000) {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    env: { ...process.env, ...rehearsalEnv(h) },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** GET through nginx (or any URL): status and body. */
export async function get(url: string): Promise<{ status: number; body: string; cookie: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000), redirect: 'manual' });
  return { status: res.status, body: await res.text(), cookie: res.headers.get('set-cookie') ?? '' };
}

/** sha256 of every file under `paths` (a folder is walked), keyed by path: byte-identity checks. */
export function fingerprint(paths: string[], skip: RegExp = /$^/): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    if (skip.test(p)) return;
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) {
      out[p] = '(absent)';
    } else if (st.isDirectory()) {
      for (const n of readdirSync(p).sort()) walk(join(p, n));
    } else if (st.isFile()) {
      out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  for (const p of paths) walk(p);
  return out;
}

/** The `gnr.web` entry points installed in the host's virtualenv (genropy-asgi adds `daemon`). */
export function gnrWebEntryPoints(h: RealHostInfo): string[] {
  const r = onHost(h, [
    join(h.paths.venv!, 'bin/python'),
    '-c',
    "import importlib.metadata as m; print('\\n'.join(e.name + '=' + e.value for e in m.entry_points(group='gnr.web')))",
  ]);
  if (r.code !== 0) throw new Error(`entry_points: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}
