import { lstatSync } from 'node:fs';
import type { Workspace } from '../core/workspace.js';
import { type FileResult, octal } from './file-ops.js';
import { dataDir, under } from './layout.js';
import type { FileEntry, Manifest } from './manifest.js';
import { runFileTasks } from './pool.js';
import { assertBackupExists, readManifest } from './store.js';
import { tracer } from './trace.js';
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
  const lap = tracer(`verify ${id}`);
  await assertBackupExists(ws, id);
  const read = await readManifest(ws, id);
  lap('manifest');
  const report = { id, deep: opts.deep, files: 0, bytes: 0 };
  if (!read.ok)
    return {
      ...report,
      ok: false,
      problems: read.problems.map((detail) => ({ path: 'manifest.json', kind: 'manifest', detail })),
    };
  const data = dataDir(ws, id);
  const signal = opts.signal ? { signal: opts.signal } : {};
  const { problems, files } = await checkStructure(data, read.manifest, { statFiles: !opts.deep, ...signal });
  lap('structure');
  if (opts.deep && files.length > 0) {
    const results = await runFileTasks(
      files.map((e) => ({ op: 'hash', path: under(data, e.path) })),
      { ...signal, sizes: files.map((e) => e.size) },
    );
    results.forEach((r, i) => {
      problems.push(...fileProblems(files[i]!, r));
    });
  }
  lap('hashes');
  const { files: n, bytes } = read.manifest.totals;
  return { ...report, files: n, bytes, ok: problems.length === 0, problems: sortByPath(problems) };
}

/**
 * Everything but file contents: the data folder holds exactly the manifest's entries, each of
 * its type, folders and symlinks with their mode and target. Files are checked for mode and
 * size here only with `statFiles`; otherwise the caller opens them anyway (to hash or to copy)
 * and checks on the open file. Returns the file entries found as files.
 */
export async function checkStructure(
  data: string,
  m: Manifest,
  opts: { statFiles: boolean; signal?: AbortSignal },
): Promise<{ problems: VerifyProblem[]; files: FileEntry[] }> {
  const problems: VerifyProblem[] = [];
  const files: FileEntry[] = [];
  const root = lstatSync(data, { throwIfNoEntry: false });
  if (!root?.isDirectory())
    return { problems: [{ path: 'data', kind: 'missing', detail: 'the data/ folder is missing' }], files };
  if (m.root && (root.mode & 0o7777) !== m.root.mode)
    problems.push(modeProblem('.', m.root.mode, root.mode & 0o7777));

  const walk = await walkTree(data, opts);
  const found = new Map(walk.entries.map((e) => [e.path, e]));
  for (const e of m.entries) {
    const f = found.get(e.path);
    found.delete(e.path);
    if (!f) {
      problems.push({ path: e.path, kind: 'missing', detail: `${e.type} not in the backup` });
    } else if (f.type !== e.type) {
      problems.push({ path: e.path, kind: 'type', detail: `expected a ${e.type}, found a ${f.type}` });
    } else if (e.type === 'file') {
      if (f.st && f.st.mode !== e.mode) problems.push(modeProblem(e.path, e.mode, f.st.mode));
      if (f.st && f.st.size !== e.size)
        problems.push({ path: e.path, kind: 'size', detail: `${f.st.size} bytes, expected ${e.size}` });
      files.push(e);
    } else if (e.type === 'dir') {
      if (f.st && f.st.mode !== e.mode) problems.push(modeProblem(e.path, e.mode, f.st.mode));
    } else if (f.target !== e.target) {
      problems.push({ path: e.path, kind: 'target', detail: `points to ${f.target}, expected ${e.target}` });
    }
  }
  for (const path of found.keys()) {
    // Name only the top of an extra folder, not everything inside it.
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (!parent || !found.has(parent)) problems.push({ path, kind: 'extra', detail: 'not in the manifest' });
  }
  for (const s of walk.skipped) problems.push({ path: s.path, kind: 'extra', detail: s.reason });
  return { problems, files };
}

/** What a hash (verify) or a restore copy found wrong with one file of the backup. */
export function fileProblems(e: FileEntry, r: FileResult): VerifyProblem[] {
  if (r.error) return [{ path: e.path, kind: 'changed', detail: `cannot read: ${r.error.message}` }];
  if (r.mismatch) return [{ path: e.path, kind: r.mismatch.kind, detail: r.mismatch.detail }];
  const out: VerifyProblem[] = [];
  if (r.st && r.st.mode !== e.mode) out.push(modeProblem(e.path, e.mode, r.st.mode));
  if (r.size !== e.size)
    out.push({ path: e.path, kind: 'size', detail: `${r.size} bytes, expected ${e.size}` });
  else if (r.sha256 !== e.sha256)
    out.push({ path: e.path, kind: 'changed', detail: 'content differs from the manifest (sha256)' });
  return out;
}

function modeProblem(path: string, expected: number, found: number): VerifyProblem {
  return { path, kind: 'mode', detail: `mode ${octal(found)}, expected ${octal(expected)}` };
}

export function sortByPath(problems: VerifyProblem[]): VerifyProblem[] {
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
