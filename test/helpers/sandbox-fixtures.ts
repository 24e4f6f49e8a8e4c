import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// The sandbox is plain JavaScript (it runs without a build); its API is documented with JSDoc.
import { createSandbox } from '../../examples/sandbox/sandbox.js';
import { repoRoot } from './cli.js';

export type Sandbox = Awaited<ReturnType<typeof createSandbox>>;

/**
 * What a real program printed, recorded from a real Genropy host by
 * examples/sandbox/fixtures/record.sh: `out`, `err`, `code` of a command; `http` (status line and
 * headers) and `body` of a request.
 */
export function fixture(name: string): {
  out: string;
  err: string;
  code: number;
  http: string;
  body: string;
} {
  const dir = join(repoRoot, 'examples/sandbox/fixtures/realhost');
  const read = (ext: string) =>
    existsSync(join(dir, `${name}.${ext}`)) ? readFileSync(join(dir, `${name}.${ext}`), 'utf8') : '';
  return {
    out: read('out'),
    err: read('err'),
    code: Number(read('code') || -1),
    http: read('http'),
    body: read('body'),
  };
}

/** Runs a stand-in of the sandbox as the plan would: its bin/ first on PATH, the sandbox env. */
export function standIn(sb: Sandbox, program: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(program.startsWith('/') ? program : join(sb.root, 'bin', program), args, {
    env: { ...process.env, ...sb.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { out: r.stdout, err: r.stderr, code: r.status ?? -1 };
}

/** The keys of a Python dict repr, in order (`'name': value` pairs). */
export const pyKeys = (text: string) => [...text.matchAll(/'(\w+)': /g)].map((m) => m[1]);

/** The status code of an HTTP head as curl -D wrote it. */
export const statusOf = (http: string) => Number(/^HTTP\/\S+ (\d{3})/.exec(http)?.[1] ?? 0);

export { createSandbox };
