import { lstatSync, type Stats } from 'node:fs';
import type { Workspace } from '../core/workspace.js';
import { type FileResult, type FileTask, octal } from './file-ops.js';
import { dataDir, under } from './layout.js';
import type { FileEntry, Manifest } from './manifest.js';
import { hashThreads, runFileTasks, startThreads } from './pool.js';
import { assertBackupExists, readManifest } from './store.js';
import { tracer } from './trace.js';
import type { VerifyProblem, VerifyReport } from './types.js';
import { type WalkEntry, type WalkResult, walkTree } from './walk.js';

/**
 * Files per batch sent to a hashing thread, small enough that the threads end together, and
 * batches in flight per thread: ~100 ms of hashing, longer than this thread is busy at a time.
 */
const hashBatch = 128;
const hashAhead = 32;

/**
 * Checks a backup against its manifest. Shallow (what `gate` and the phase runner use): the
 * manifest parses and is safe, and every entry is there with the right type, size, mode and
 * symlink target, and nothing else is. Deep: also re-hashes every file, on worker threads
 * started first, fed from the walk of data/ (regular files only, found folder by folder, so
 * nothing is opened through a symlink) while this thread reads the manifest and compares.
 */
export async function verifyBackup(
  ws: Workspace,
  id: string,
  opts: { deep: boolean; signal?: AbortSignal },
): Promise<VerifyReport> {
  const lap = tracer(`verify ${id}`);
  await assertBackupExists(ws, id);
  const pool = opts.deep ? startThreads(hashThreads(), hashAhead) : undefined;
  const onAbort = () => pool?.close(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const data = dataDir(ws, id);
    const signal = opts.signal ? { signal: opts.signal } : {};
    // With threads, files are hashed as the walk finds them; without, after the manifest.
    const hashed: WalkEntry[] = [];
    const jobs: Array<Promise<FileResult[]>> = [];
    let seen = 0;
    const pending: WalkEntry[] = [];
    const send = (part: WalkEntry[]) => {
      hashed.push(...part);
      const tasks: FileTask[] = part.map((e) => ({ op: 'hash', path: under(data, e.path) }));
      const job = pool ? pool.submit(tasks) : runFileTasks(tasks, signal);
      job.catch(() => {}); // awaited below, or dropped with the pool on an early return
      jobs.push(job);
    };
    const take = (entries: WalkEntry[], all: boolean) => {
      for (; seen < entries.length; seen++) if (entries[seen]!.type === 'file') pending.push(entries[seen]!);
      while (pool && pending.length >= hashBatch) send(pending.splice(0, hashBatch));
      if (all && pending.length > 0) send(pending.splice(0));
    };
    const found = await walkData(data, {
      statFiles: !opts.deep,
      ...signal,
      ...(pool ? { onProgress: (entries: WalkEntry[]) => take(entries, false) } : {}),
    });
    if (pool && found.walk) take(found.walk.entries, true);
    lap(`walk${pool ? ` (hashing on ${pool.size} threads)` : ''}`);
    const read = await readManifest(ws, id);
    lap('manifest');
    const report = { id, deep: opts.deep, files: 0, bytes: 0 };
    if (!read.ok)
      return {
        ...report,
        ok: false,
        problems: read.problems.map((detail) => ({ path: 'manifest.json', kind: 'manifest', detail })),
      };
    const { problems, files } = compareStructure(read.manifest, found);
    lap('structure');
    if (opts.deep) {
      // Without threads, hashing waits for a manifest that checks out (it cannot be stopped).
      if (!pool && found.walk) take(found.walk.entries, true);
      await pool?.helpHere();
      const results = (await Promise.all(jobs)).flat();
      const byPath = new Map<string, FileResult>();
      for (const [i, e] of hashed.entries()) byPath.set(e.path, results[i]!);
      for (const e of files) problems.push(...fileProblems(e, byPath.get(e.path)!));
    }
    lap('hashes');
    const { files: n, bytes } = read.manifest.totals;
    return { ...report, files: n, bytes, ok: problems.length === 0, problems: sortByPath(problems) };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    pool?.close();
  }
}

/** data/ as it is: its own stat and its walk (undefined when it is not a folder). */
interface FoundData {
  root: Stats | undefined;
  walk: WalkResult | undefined;
}

async function walkData(
  data: string,
  opts: { statFiles: boolean; signal?: AbortSignal },
): Promise<FoundData> {
  const root = lstatSync(data, { throwIfNoEntry: false });
  return { root, walk: root?.isDirectory() ? await walkTree(data, opts) : undefined };
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
  return compareStructure(m, await walkData(data, opts));
}

function compareStructure(m: Manifest, found: FoundData): { problems: VerifyProblem[]; files: FileEntry[] } {
  const problems: VerifyProblem[] = [];
  const files: FileEntry[] = [];
  const { root, walk } = found;
  if (!root?.isDirectory() || !walk)
    return { problems: [{ path: 'data', kind: 'missing', detail: 'the data/ folder is missing' }], files };
  if (m.root && (root.mode & 0o7777) !== m.root.mode)
    problems.push(modeProblem('.', m.root.mode, root.mode & 0o7777));

  const byPath = new Map(walk.entries.map((e) => [e.path, e]));
  for (const e of m.entries) {
    const f = byPath.get(e.path);
    byPath.delete(e.path);
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
  for (const path of byPath.keys()) {
    // Name only the top of an extra folder, not everything inside it.
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (!parent || !byPath.has(parent)) problems.push({ path, kind: 'extra', detail: 'not in the manifest' });
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
