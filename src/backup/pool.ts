import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import type { BuildBatch } from './assemble.js';
import { type FileResult, type FileTask, runTask } from './file-ops.js';
import { tracer } from './trace.js';

/**
 * Runs file tasks on a few worker threads, each doing synchronous system calls (file-ops.ts),
 * fed in batches from a shared queue so a 50 MB file on one thread does not hold up the rest.
 * Small jobs run on this thread (starting workers costs ~30 ms), and so does everything when
 * the compiled worker is absent (the tests run the TypeScript sources).
 */

/** A worker's compiled entry beside this module; undefined when absent (the tests run the sources). */
export function compiledWorker(file: string): URL | undefined {
  const url = new URL(file, import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

const workerUrl = compiledWorker('./file-worker.js');

export interface PoolOptions {
  signal?: AbortSignal;
  /** Below this many tasks, no threads are started. */
  minForThreads?: number;
  threads?: number;
  /** Size hints (bytes per task) to close a batch early when it holds big files. */
  sizes?: number[];
  /**
   * Called with each batch's results as they come in (`from`: index of its first task). Then
   * they are not kept, and the promise gives none: 100,000 results held to the end cost ~25 MB.
   */
  onBatch?: (from: number, results: FileResult[]) => void;
}

const batchTasks = 256;
const batchBytes = 8 * 1024 * 1024;

export async function runFileTasks(tasks: FileTask[], options: PoolOptions = {}): Promise<FileResult[]> {
  const { signal } = options;
  signal?.throwIfAborted();
  if (tasks.length === 0) return [];
  const lap = tracer('pool');
  const threads = options.threads ?? defaultThreads();
  if (!workerUrl || threads < 1 || tasks.length < (options.minForThreads ?? 128)) {
    const results = await runHere(tasks, signal, options.onBatch);
    lap(`${tasks.length} tasks on this thread`);
    return results;
  }
  const pool = new ThreadPool(Math.min(threads, Math.ceil(tasks.length / batchTasks)));
  try {
    const results = await pool.run(tasks, options);
    lap(`${tasks.length} tasks on ${threads} worker threads`);
    return results;
  } finally {
    pool.close();
  }
}

/**
 * Worker threads started ahead of the work, so they boot (~30 ms each) while this thread does
 * something else: verify starts them, then walks the tree and reads the manifest. undefined
 * when there are no threads to start (the compiled worker is absent, or 0 are wanted).
 */
export function startThreads(threads: number, ahead?: number): ThreadPool | undefined {
  return workerUrl && threads >= 1 ? new ThreadPool(threads, ahead) : undefined;
}

/**
 * 0 (this thread) unless `GNR_MIGRATE_BACKUP_THREADS` says otherwise: for linking, which is
 * all system calls. Measured on the 2-vCPU machines this runs on, shared with other work:
 * linking 20,000 files took 0.56 s here against 1.0 s with 1 or 2 workers; threads only add
 * contention. Copying is another matter: copyThreads.
 */
export function defaultThreads(): number {
  const fromEnv = Number(process.env.GNR_MIGRATE_BACKUP_THREADS);
  if (process.env.GNR_MIGRATE_BACKUP_THREADS && Number.isInteger(fromEnv) && fromEnv >= 0)
    return Math.min(fromEnv, availableParallelism() * 2);
  return 0;
}

/**
 * Threads for copying and hashing (a first backup, a restore): one per core, at most two,
 * unless `GNR_MIGRATE_BACKUP_THREADS` says otherwise. Copying has CPU work (hashing, the
 * reads and writes through user space) to spread: a full backup of 20,000 files (165 MiB)
 * took 1.42–1.51 s with two workers against 1.72–1.85 s with none, 1.81–1.93 s with one and
 * 1.54–1.81 s with three (bench tree, a `sync` before each run).
 */
export function copyThreads(): number {
  if (process.env.GNR_MIGRATE_BACKUP_THREADS) return defaultThreads();
  return Math.min(2, availableParallelism());
}

/**
 * Threads for verify's hashing, besides this thread, which hashes too once its own work is
 * done (ThreadPool.helpHere): one per core but one, at most three, unless
 * `GNR_MIGRATE_BACKUP_THREADS` says otherwise. On the 2-core machine of the benchmark
 * (20,000 files, 165 MiB) one worker verified in 0.97 s, two in 1.02 s (more CPU, spent on
 * a second thread's start and on contention), none in 1.2 s.
 */
export function hashThreads(): number {
  if (process.env.GNR_MIGRATE_BACKUP_THREADS) return defaultThreads();
  return Math.max(1, Math.min(3, availableParallelism() - 1));
}

function makeBatches(tasks: FileTask[], sizes: number[] | undefined): Array<[number, number]> {
  const batches: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < tasks.length; i++) {
    bytes += sizes?.[i] ?? 0;
    if (i + 1 - start >= batchTasks || bytes >= batchBytes) {
      batches.push([start, i + 1]);
      start = i + 1;
      bytes = 0;
    }
  }
  if (start < tasks.length) batches.push([start, tasks.length]);
  return batches;
}

/** With `onBatch`, results go to it 64 at a time and are not kept (see PoolOptions). */
async function runHere(
  tasks: FileTask[],
  signal: AbortSignal | undefined,
  onBatch: PoolOptions['onBatch'],
): Promise<FileResult[]> {
  let results: FileResult[] = [];
  let from = 0;
  for (let i = 0; i < tasks.length; i++) {
    results.push(runTask(tasks[i]!));
    if (onBatch && results.length === 64) {
      onBatch(from, results);
      from = i + 1;
      results = [];
    }
    // Let signals and timers in now and then.
    if (i % 64 === 63) {
      await new Promise((r) => setImmediate(r));
      signal?.throwIfAborted();
    }
  }
  if (onBatch) {
    if (results.length > 0) onBatch(from, results);
    return [];
  }
  return results;
}

/**
 * One message for a worker (file-worker.ts): file tasks, answered with their results, or a
 * batch of a backup's build (assemble.ts buildBatch), answered with its part. `here` gives
 * the same answer on this thread.
 */
export interface Job<R> {
  message: FileTask[] | { build: BuildBatch };
  here: () => R;
  /** What a worker's answer gives the caller, when not the answer itself. */
  answer?: (raw: unknown) => R;
  /** Run here even with threads: less work than a round trip (a batch of folders only). */
  local?: boolean;
}

interface Batch {
  job: Job<unknown>;
  resolve: (answer: unknown) => void;
  reject: (err: unknown) => void;
}

const tasksJob = (tasks: FileTask[]): Job<FileResult[]> => ({
  message: tasks,
  here: () => tasks.map(runTask),
});

/**
 * A worker holds one batch of tasks and its results or its part (a few hundred paths and
 * manifest lines) and a 1 MiB buffer outside its heap: 16 MB of old generation is many times
 * that. Its young generation is 2 MB a semi-space (bin/gnr-migrate.js). Without a limit V8 let each
 * worker's heap grow by ~10 MB before collecting, which put the peak of a million-file
 * incremental backup over 200 MB (issue 13's bench). A worker out of memory fails the work
 * (its 'error' event), not the process.
 */
export const workerLimits = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 };

let fullGc: (() => void) | undefined;

/**
 * A full collection of this thread's heap, now. When a link farm's patch gives up, what it held
 * is garbage that V8 collects only once the heap grows again, and by then the threads of the
 * build file by file have started: a million-file incremental on that path peaked at 188-204 MB
 * (three runs, on disk), and at 171-175 MB when it was collected first. V8 gives the function
 * only to a context made after `--expose-gc` is set (as Jest's leak detector takes it).
 */
export function collectGarbage(): void {
  if (!fullGc) {
    setFlagsFromString('--expose-gc');
    fullGc = runInNewContext('gc') as () => void;
  }
  fullGc();
}

/**
 * A few workers fed batches from one queue, two in flight each so none waits for this thread.
 * Batches can be added while others run (verify adds them as its walk finds files).
 */
export class ThreadPool {
  private readonly workers: Worker[] = [];
  private readonly queue: Batch[] = [];
  private readonly inFlight = new Map<Worker, Batch[]>();
  private failure: unknown;

  /**
   * `ahead`: batches in flight per worker. Two keep a worker busy while this thread answers;
   * verify sends more, as this thread is busy for tens of ms at a time (its walk, the
   * manifest's parse) and cannot hand out batches meanwhile.
   */
  constructor(
    readonly size: number,
    private readonly ahead = 2,
  ) {
    for (let t = 0; t < size; t++) {
      const w = new Worker(workerUrl!, { resourceLimits: workerLimits });
      this.workers.push(w);
      this.inFlight.set(w, []);
      w.on('message', (answer: unknown) => this.received(w, answer));
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => this.fail(new Error(`a backup worker thread stopped (exit ${code})`)));
    }
  }

  /** All tasks, in batches; results in the order of the tasks. */
  async run(tasks: FileTask[], options: PoolOptions = {}): Promise<FileResult[]> {
    const { signal, onBatch } = options;
    const onAbort = () => this.fail(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const batches = makeBatches(tasks, options.sizes);
      const parts = new Array<Promise<FileResult[]>>(batches.length);
      for (const [i, [from, to]] of batches.entries()) {
        const part = this.submit(tasks.slice(from, to));
        // The caller turns results into what it keeps while the workers go on.
        parts[i] = onBatch
          ? part.then((results) => {
              onBatch(from, results);
              return [];
            })
          : part;
      }
      return (await Promise.all(parts)).flat();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** One batch of file tasks. */
  submit(tasks: FileTask[]): Promise<FileResult[]> {
    return this.submitJob(tasksJob(tasks));
  }

  submitJob<R>(job: Job<R>): Promise<Awaited<R>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Awaited<R>>((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (answer: unknown) => void, reject });
      for (const w of this.workers) this.feed(w);
    });
  }

  /**
   * Runs queued batches on this thread too, until none is left, for a caller with nothing
   * else to do until the results are in. Between batches it lets the workers' answers in, so
   * they are fed meanwhile.
   */
  async helpHere(): Promise<void> {
    for (let batch = this.queue.shift(); batch && !this.failure; batch = this.queue.shift()) {
      try {
        batch.resolve(batch.job.here());
      } catch (err) {
        batch.reject(err);
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Stops the workers; batches not answered yet are rejected with `reason`. */
  close(reason: unknown = new Error('the worker threads were closed')): void {
    this.fail(reason);
  }

  private feed(w: Worker): void {
    const mine = this.inFlight.get(w)!;
    while (mine.length < this.ahead && this.queue.length > 0) {
      const batch = this.queue.shift()!;
      mine.push(batch);
      w.postMessage(batch.job.message);
    }
  }

  private received(w: Worker, answer: unknown): void {
    // A worker answers its batches in the order it got them.
    const batch = this.inFlight.get(w)!.shift();
    batch?.resolve(batch.job.answer ? batch.job.answer(answer) : answer);
    this.feed(w);
  }

  private fail(err: unknown): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.workers) void w.terminate();
    for (const batch of [...this.queue, ...[...this.inFlight.values()].flat()]) batch.reject(err);
    this.queue.length = 0;
  }
}

/**
 * Items handed in as a walk or a manifest is read, sent in batches to worker threads (or run
 * here), each batch's answer (a part) given back in the order handed in. At most a few
 * batches are in flight: a million items cost what those batches hold, not a million results.
 */
export class PartStream<I, P> {
  /** Started with the first full batch: a few files (a config folder) never wait ~30 ms a thread. */
  private pool: ThreadPool | undefined;
  private readonly window: number;
  /** In the order handed in; `sent`: answered by a worker (else already made here). */
  private readonly inFlight: Array<{ part: Promise<P>; sent: boolean }> = [];
  private sent = 0;
  private items: I[] = [];
  private weight = 0;
  private bytes = 0;
  private finishing = false;
  private readonly onAbort: () => void;

  constructor(
    private readonly threads: number,
    private readonly job: (items: I[]) => Job<P | Promise<P>>,
    private readonly onPart: (part: P) => void,
    private readonly signal?: AbortSignal,
    private readonly ahead = 2,
  ) {
    this.window = threads * ahead + 2;
    this.onAbort = () => this.pool?.close(signal?.reason);
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * An item: `weight` 1 for a file task (a batch holds 256), less for what costs little more
   * than its line; `size`, when known, closes a batch early when it holds big files.
   */
  async add(item: I, weight = 1, size = 0): Promise<void> {
    this.items.push(item);
    this.weight += weight;
    this.bytes += size;
    if (this.weight >= batchTasks || this.bytes >= batchBytes) await this.send();
  }

  /** Runs what is left; every part has been given back when it resolves. */
  async finish(): Promise<void> {
    this.finishing = true;
    await this.send();
    await this.pool?.helpHere();
    while (this.inFlight.length > 0) await this.takeOldest();
  }

  /** Stops the threads (a failure or an abort); batches in flight are dropped. */
  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.pool?.close();
  }

  private async send(): Promise<void> {
    this.signal?.throwIfAborted();
    if (this.items.length === 0) return;
    const job = this.job(this.items);
    if (!this.pool && this.threads > 0 && !this.finishing) this.pool = startThreads(this.threads, this.ahead);
    const sent = this.pool !== undefined && !job.local;
    const part = sent ? this.pool!.submitJob(job) : Promise.resolve(job.here());
    part.catch(() => {}); // taken in order below; a failure then
    this.inFlight.push({ part, sent });
    if (sent) this.sent++;
    this.items = [];
    this.weight = 0;
    this.bytes = 0;
    // A few batches at the workers; those made here wait behind them, a few more (each holds
    // its lines: up to 2,048 of them, half a MiB, in a farm's patch).
    while (this.sent > this.window || this.inFlight.length > 2 * this.window) await this.takeOldest();
  }

  private async takeOldest(): Promise<void> {
    const { part, sent } = this.inFlight.shift()!;
    if (sent) this.sent--;
    this.onPart(await part);
  }
}

/** One item handed to a TaskStream: a file task, or only a tag kept in its place in the order. */
export interface Streamed<T> {
  tag: T;
  result?: FileResult;
}

/**
 * File tasks handed in with tags, given back in the order handed in with their results, a
 * batch at a time (a PartStream of file tasks). Tags without a task (`mark`) keep their
 * place, so a caller writing entries in order gets its folders back between its files.
 */
export class TaskStream<T> {
  private readonly parts: PartStream<{ tag: T; task?: FileTask }, Array<Streamed<T>>>;

  constructor(
    threads: number,
    onItems: (items: Array<Streamed<T>>) => void,
    signal?: AbortSignal,
    ahead = 2,
  ) {
    this.parts = new PartStream(
      threads,
      (items) => {
        const tasks = items.flatMap((i) => (i.task ? [i.task] : []));
        const tagged = (results: FileResult[]) => {
          let k = 0;
          return items.map(({ tag, task }) => (task ? { tag, result: results[k++]! } : { tag }));
        };
        return {
          message: tasks,
          // This thread lets signals and timers in every 64 files (runHere).
          here: () => runHere(tasks, signal, undefined).then(tagged),
          answer: (raw) => tagged(raw as FileResult[]),
          local: tasks.length === 0,
        };
      },
      onItems,
      signal,
      ahead,
    );
  }

  /** A task; `size`, when known, closes a batch early when it holds big files. */
  add(task: FileTask, tag: T, size = 0): Promise<void> {
    return this.parts.add({ tag, task }, 1, size);
  }

  /** A tag with no task, given back in its place. */
  mark(tag: T): Promise<void> {
    return this.parts.add({ tag }, 1 / 4);
  }

  finish(): Promise<void> {
    return this.parts.finish();
  }

  close(): void {
    this.parts.close();
  }
}
