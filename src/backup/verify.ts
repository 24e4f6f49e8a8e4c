import { lstatSync } from 'node:fs';
import type { Workspace } from '../core/workspace.js';
import { dataDir, under } from './layout.js';
import type { FileEntry, Manifest } from './manifest.js';
import { runFileTasks } from './pool.js';
import { readBackup, readManifest } from './store.js';
import type { VerifyProblem, VerifyReport } from './types.js';
import { walkTree } from './walk.js';

/**
 * Checks a backup against its manifest. Shallow (what `gate` and the phase runner use): the
 * manifest parses and is safe, and every entry is there with the right type, size, mode and
 * symlink target, and nothing else is. Deep: also re-hashes every file, on worker threads.
 */
export async function verifyBackup(
  ws: Workspace,
  id: string,
  opts: { deep: boolean; signal?: AbortSignal },
): Promise<VerifyReport> {
  await readBackup(ws, id);
  const read = await readManifest(ws, id);
  if (!read.ok)
    return {
      id,
      ok: false,
      deep: opts.deep,
      files: 0,
      bytes: 0,
      problems: read.problems.map((detail) => ({ path: 'manifest.json', kind: 'manifest', detail })),
    };
  const problems = await checkTree(dataDir(ws, id), read.manifest, opts);
  const { files, bytes } = read.manifest.totals;
  return { id, ok: problems.length === 0, deep: opts.deep, files, bytes, problems };
}

/** The structural check; also used by restore before it copies (it hashes while copying). */
export async function checkTree(
  data: string,
  m: Manifest,
  opts: { deep: boolean; signal?: AbortSignal },
): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  const root = lstatSync(data, { throwIfNoEntry: false });
  if (!root?.isDirectory()) return [{ path: 'data', kind: 'missing', detail: 'the data/ folder is missing' }];
  if (m.root && (root.mode & 0o7777) !== m.root.mode)
    problems.push(modeProblem('.', m.root.mode, root.mode & 0o7777));

  const walk = await walkTree(data, opts.signal ? { signal: opts.signal } : {});
  const found = new Map(walk.entries.map((e) => [e.path, e]));
  const toHash: FileEntry[] = [];
  for (const e of m.entries) {
    const f = found.get(e.path);
    found.delete(e.path);
    if (!f) {
      problems.push({ path: e.path, kind: 'missing', detail: `${e.type} not in the backup` });
      continue;
    }
    if (f.type !== e.type) {
      problems.push({ path: e.path, kind: 'type', detail: `expected a ${e.type}, found a ${f.type}` });
      continue;
    }
    if (e.type !== 'symlink' && f.mode !== e.mode) problems.push(modeProblem(e.path, e.mode, f.mode));
    if (e.type === 'symlink' && f.target !== e.target)
      problems.push({ path: e.path, kind: 'target', detail: `points to ${f.target}, expected ${e.target}` });
    if (e.type === 'file') {
      if (f.size !== e.size)
        problems.push({ path: e.path, kind: 'size', detail: `${f.size} bytes, expected ${e.size}` });
      else if (opts.deep) toHash.push(e);
    }
  }
  for (const path of found.keys()) {
    // Name only the top of an extra folder, not everything inside it.
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (!parent || !found.has(parent)) problems.push({ path, kind: 'extra', detail: 'not in the manifest' });
  }
  for (const s of walk.skipped) problems.push({ path: s.path, kind: 'extra', detail: s.reason });

  if (toHash.length > 0) {
    const results = await runFileTasks(
      toHash.map((e) => ({ op: 'hash', path: under(data, e.path) })),
      { ...(opts.signal ? { signal: opts.signal } : {}), sizes: toHash.map((e) => e.size) },
    );
    results.forEach((r, i) => {
      const e = toHash[i]!;
      if (r.error)
        problems.push({ path: e.path, kind: 'changed', detail: `cannot read: ${r.error.message}` });
      else if (r.sha256 !== e.sha256)
        problems.push({
          path: e.path,
          kind: 'changed',
          detail: 'content differs from the manifest (sha256)',
        });
    });
  }
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function modeProblem(path: string, expected: number, found: number): VerifyProblem {
  return { path, kind: 'mode', detail: `mode ${octal(found)}, expected ${octal(expected)}` };
}

export const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
