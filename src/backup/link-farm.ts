import { isUtf8 } from 'node:buffer';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, lchownSync, lstatSync, mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { fsTime } from './times.js';

/**
 * A hard-link copy of the previous backup's data/ (`cp -al`), the start of an incremental
 * backup (incremental.ts then makes it exactly the source). `cp` makes the 20,000 links and
 * 1,000 folders of the benchmark tree in ~0.25 s, where Node doing it file by file pays a
 * round trip per file (PERF-NOTES: 0.60 s against 3.23 s on 50,000 files); and it runs on
 * the other core while this process reads the previous manifest and find lists the source.
 *
 * The top-level entries are copied in runs, in the walk's order (order.ts), two `cp` at a
 * time: making links and folders is kernel work, and each process has a core for it once
 * find is done. A patch that walks the source in that order (fill.ts) can start on the first
 * entries while `cp` makes the last ones (`ready`).
 *
 * It links to an earlier backup, never to the live tree: nothing writes to a backup, so a later
 * in-place edit of a live file cannot reach either copy. Both folders are under backups/, so on
 * one file system. Any failure (no `cp`, a non-GNU one, a folder the user cannot read, too many
 * links to one inode) resolves false and the caller builds the tree file by file instead.
 */
export interface LinkFarm {
  /**
   * true once the copy is whole and its root has the attributes of `from`'s; false if it failed
   * or was stopped.
   */
  done(): Promise<boolean>;
  /**
   * true once the farm holds the top-level entry `name` whole (at once for a name `from` does
   * not have), false if the copy failed; '' is the root folder itself, there to write in.
   */
  ready(name: string): Promise<boolean>;
  /**
   * The folder whose mtime says which entries the farm's root holds: `to` when one `cp` made
   * it, else `from`, whose names were read to share them out (`to` is this process's folder
   * until `done`).
   */
  readonly rootFrom: string;
  /** What `cp` said on failure, for the trace. */
  error(): string;
  /** Kills `cp` if it is still running (an error elsewhere, or a signal) and waits for it. */
  stop(): Promise<void>;
}

/** Runs of top-level entries: at least this many, so the first is ready early. */
const minRuns = 16;
/** Entries in one run at most: one `cp` command line. */
const maxRun = 500;

export function startLinkFarm(from: string, to: string, processes = 2): LinkFarm {
  let stderr = '';
  let stopped = false;
  const running = new Set<ChildProcess>();
  const run = (args: string[]) =>
    new Promise<boolean>((resolve) => {
      if (stopped) return resolve(false);
      // -a: recursive, symlinks as symlinks, folder modes, owners and times kept; -l: files
      // (and symlinks) hard-linked, not copied.
      const child = spawn('cp', ['-al', '--', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      running.add(child);
      lower(child);
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (s: string) => {
        if (stderr.length < 4096) stderr += s;
      });
      child.on('error', (err) => {
        running.delete(child);
        stderr ||= err.message;
        resolve(false);
      });
      child.on('close', (code) => {
        running.delete(child);
        resolve(code === 0);
      });
    });

  let names: string[] = [];
  try {
    const raw = readdirSync(from, { encoding: 'buffer' });
    // A name that is not UTF-8 cannot be a spawn argument: then one cp copies `from` whole.
    names = raw.every((n) => isUtf8(n)) ? raw.map((n) => n.toString('utf8')).sort() : [];
  } catch (err) {
    stderr = (err as Error).message;
  }
  if (processes < 2 || names.length < 2) {
    // `to` does not exist: cp makes it the copy of `from`, its own mode and times included.
    const copied = run([from, to]);
    return {
      done: () => copied,
      ready: () => copied,
      rootFrom: to,
      error: () => stderr.trim(),
      stop: async () => {
        stopped = true;
        for (const child of running) child.kill('SIGKILL');
        await copied;
      },
    };
  }
  // `to` made here, filled run by run, then given the mode, owner and times of `from`.
  mkdirSync(to, 0o700);
  const size = Math.min(maxRun, Math.ceil(names.length / minRuns));
  const runs: Array<{ names: string[]; copied: Promise<boolean>; settle: (ok: boolean) => void }> = [];
  const runOf = new Map<string, (typeof runs)[number]>();
  for (let i = 0; i < names.length; i += size) {
    let settle!: (ok: boolean) => void;
    const copied = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    const r = { names: names.slice(i, i + size), copied, settle };
    runs.push(r);
    for (const name of r.names) runOf.set(name, r);
  }
  let next = 0;
  let failed = false;
  // Each lane takes the next run in order; one failure settles every run left false.
  const lane = async () => {
    while (next < runs.length) {
      const r = runs[next++]!;
      const ok = !failed && (await run([...r.names.map((n) => `${from}/${n}`), to]));
      if (!ok) failed = true;
      r.settle(ok);
    }
  };
  const filled = Promise.all(Array.from({ length: processes }, lane)).then(() => !failed);
  let done: Promise<boolean> | undefined;
  return {
    // Root attributes only when asked: a patch (fill.ts) writes in the root until its end.
    done: () => {
      done ??= filled.then((ok) => ok && copyAttrs(from, to));
      return done;
    },
    ready: (name) => runOf.get(name)?.copied ?? Promise.resolve(true),
    rootFrom: from,
    error: () => stderr.trim(),
    stop: async () => {
      stopped = true;
      failed = true;
      for (const child of running) child.kill('SIGKILL');
      await filled;
    },
  };
}

/**
 * cp five steps below this process: it runs ahead of the patch (fill.ts), which is the longer
 * of the two, so the patch's thread is the one to get a core first (a million-file 1 % churn on
 * tmpfs: 9.1-9.8 s against 10.1-10.6 s). A failure to change it changes nothing else.
 */
function lower(child: ChildProcess): void {
  try {
    if (child.pid) setPriority(child.pid, Math.min(19, getPriority() + 5));
  } catch {}
}

/** What `cp -a` does for the folder it copies, once nothing more goes into it. */
function copyAttrs(from: string, to: string): boolean {
  try {
    const st = lstatSync(from);
    if (process.getuid?.() === 0) lchownSync(to, st.uid, st.gid);
    chmodSync(to, st.mode & 0o7777);
    utimesSync(to, fsTime(st.atimeMs), fsTime(st.mtimeMs));
    return true;
  } catch {
    return false;
  }
}
