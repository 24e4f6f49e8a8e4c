import { lstatSync } from 'node:fs';
import type { Workspace } from '../core/workspace.js';
import { type FileResult, octal } from './file-ops.js';
import { dataDir, manifestFile, under } from './layout.js';
import type { FileEntry, ManifestEntry } from './manifest.js';
import type { ManifestReader } from './manifest-stream.js';
import { openManifest } from './manifest-stream.js';
import { joinByPath } from './order.js';
import { hashThreads, TaskStream } from './pool.js';
import { assertBackupExists } from './store.js';
import { tracer } from './trace.js';
import type { VerifyProblem, VerifyReport } from './types.js';
import { type WalkSummary, walkBatches } from './walk.js';

/** Batches in flight per hashing thread: the walk and the manifest keep this thread busy. */
const hashAhead = 4;

/**
 * Checks a backup against its manifest. Shallow (what `gate` and the phase runner use): the
 * manifest parses and is safe, and every entry is there with the right type, size, mode and
 * symlink target, and nothing else is. Deep: also re-hashes every file on worker threads, fed
 * as the walk of data/ meets the manifest (regular files only, found folder by folder, so
 * nothing is opened through a symlink). The walk and the manifest are read side by side in
 * their one order (order.ts), a batch at a time: memory does not grow with the files.
 */
export async function verifyBackup(
  ws: Workspace,
  id: string,
  opts: { deep: boolean; signal?: AbortSignal },
): Promise<VerifyReport> {
  const lap = tracer(`verify ${id}`);
  await assertBackupExists(ws, id);
  const report = { id, deep: opts.deep, files: 0, bytes: 0 };
  const failed = (problems: string[]): VerifyReport => ({
    ...report,
    ok: false,
    problems: problems.map((detail) => ({ path: 'manifest.json', kind: 'manifest', detail })),
  });
  const opened = await openManifest(manifestFile(ws, id), id);
  if (!opened.ok) return failed(opened.problems);
  const { reader } = opened;
  const data = dataDir(ws, id);
  const hashed: VerifyProblem[] = [];
  const hashes = opts.deep
    ? new TaskStream<FileEntry>(
        hashThreads(),
        (items) => {
          for (const { tag, result } of items) hashed.push(...fileProblems(tag, result!));
        },
        opts.signal,
        hashAhead,
      )
    : undefined;
  try {
    const found = await compareStreams(data, reader, {
      statFiles: !opts.deep,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(hashes
        ? { onFile: (e: FileEntry) => hashes.add({ op: 'hash', path: under(data, e.path) }, e, e.size) }
        : {}),
    });
    lap(`walk and manifest${hashes ? ', hashing' : ''}`);
    if (found.manifest.length > 0) return failed(found.manifest);
    await hashes?.finish();
    lap('hashes');
    const problems = [...found.problems, ...hashed];
    const { files, bytes } = reader.header.totals;
    return { ...report, files, bytes, ok: problems.length === 0, problems: sortByPath(problems) };
  } finally {
    hashes?.close();
  }
}

export interface StreamOptions {
  /** Compare files' mode and size by their stat (else the caller checks them on the open file). */
  statFiles: boolean;
  signal?: AbortSignal;
  /** Each file entry found as a file, in order (verify hashes it). */
  onFile?: (e: FileEntry) => Promise<void>;
  /** Each entry of the manifest, in order, whatever was found (restore keeps the folders). */
  onEntry?: (e: ManifestEntry) => void;
}

/**
 * Everything but file contents: the data folder holds exactly the manifest's entries, each of
 * its type, folders and symlinks with their mode and target. Files are checked for mode and
 * size here only with `statFiles`; otherwise the caller opens them anyway (to hash or to copy)
 * and checks on the open file. `manifest`: what is wrong with the manifest itself — when it
 * says anything, the other problems mean nothing.
 */
export async function compareStreams(
  data: string,
  reader: ManifestReader,
  opts: StreamOptions,
): Promise<{ problems: VerifyProblem[]; manifest: string[] }> {
  const problems: VerifyProblem[] = [];
  const root = lstatSync(data, { throwIfNoEntry: false });
  const entries = reader.batches();
  if (!root?.isDirectory()) {
    for await (const batch of entries) for (const e of batch) opts.onEntry?.(e);
    problems.push({ path: 'data', kind: 'missing', detail: 'the data/ folder is missing' });
    return { problems, manifest: reader.problems() };
  }
  const want = reader.header.root;
  if (want && (root.mode & 0o7777) !== want.mode)
    problems.push(modeProblem('.', want.mode, root.mode & 0o7777));
  const summary: WalkSummary = { skipped: [], excluded: 0 };
  const walk = walkBatches(data, summary, {
    statFiles: opts.statFiles,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  /** The top of the last extra folder: what is inside it is not named again. */
  let extraTop = '\0';
  for await (const pairs of joinByPath(walk, entries)) {
    for (const [f, e] of pairs) {
      if (e) opts.onEntry?.(e);
      if (!e) {
        if (f!.path.startsWith(`${extraTop}/`)) continue;
        extraTop = f!.path;
        problems.push({ path: f!.path, kind: 'extra', detail: 'not in the manifest' });
      } else if (!f) {
        problems.push({ path: e.path, kind: 'missing', detail: `${e.type} not in the backup` });
      } else if (f.type !== e.type) {
        problems.push({ path: e.path, kind: 'type', detail: `expected a ${e.type}, found a ${f.type}` });
      } else if (e.type === 'file') {
        if (f.st && f.st.mode !== e.mode) problems.push(modeProblem(e.path, e.mode, f.st.mode));
        if (f.st && f.st.size !== e.size)
          problems.push({ path: e.path, kind: 'size', detail: `${f.st.size} bytes, expected ${e.size}` });
        await opts.onFile?.(e);
      } else if (e.type === 'dir') {
        if (f.st && f.st.mode !== e.mode) problems.push(modeProblem(e.path, e.mode, f.st.mode));
      } else if (f.target !== e.target) {
        problems.push({
          path: e.path,
          kind: 'target',
          detail: `points to ${f.target}, expected ${e.target}`,
        });
      }
    }
  }
  for (const s of summary.skipped) problems.push({ path: s.path, kind: 'extra', detail: s.reason });
  return { problems, manifest: reader.problems() };
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
