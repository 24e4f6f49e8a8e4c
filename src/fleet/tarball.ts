import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FailedError, InputError } from '../core/errors.js';
import type { ProcessRunner } from '../core/process.js';

/**
 * The packed gnr-migrate the hosts install. Given (`--tarball`, the plan's `fleet.tarball`),
 * it must exist; otherwise the running tool packs itself with `npm pack --ignore-scripts`
 * (its own files, as installed: no build needed), so every host gets exactly this version.
 */
export async function resolveTarball(opts: {
  given?: string;
  cwd: string;
  packageRoot: string;
  into: string;
  runner: ProcessRunner;
}): Promise<string> {
  if (opts.given) {
    const path = resolve(opts.cwd, opts.given);
    if (!existsSync(path))
      throw new InputError(`--tarball ${opts.given}: no such file (make one with \`npm pack\`)`);
    return path;
  }
  await mkdir(opts.into, { recursive: true });
  const r = await opts.runner({
    kind: 'run',
    argv: ['npm', 'pack', '--ignore-scripts', '--json', '--pack-destination', opts.into],
    cwd: opts.packageRoot,
    timeoutMs: 5 * 60_000,
  });
  let name: string | undefined;
  try {
    name = (JSON.parse(r.stdout) as { filename?: string }[])[0]?.filename;
  } catch {}
  if (r.exitCode !== 0 || !name)
    throw new FailedError(
      `could not pack gnr-migrate for the hosts (npm pack in ${opts.packageRoot}): ${r.startError ?? r.tail.trim().split('\n').slice(-4).join('\n')}; pass --tarball FILE`,
    );
  // Scoped names come back as `scope-name-1.0.0.tgz` already; keep only the file name.
  return join(opts.into, name.slice(name.lastIndexOf('/') + 1));
}
