import { formatDuration, formatElapsed } from '../core/clock.js';
import type { Output } from './output.js';
import { createEventProgress } from './progress-events.js';
import { createPlainProgress } from './progress-plain.js';

/**
 * An event-driven progress view: the caller says when an item starts, prints a line, and ends;
 * the view draws it. Live (listr2) on a terminal, plain lines without one or under CI, nothing
 * with --json (NDJSON events on stdout with --json --events); always on stderr otherwise. The
 * checklist runner and the phase runner share it. A running item shows its elapsed time (live:
 * in its title; plain: "still running (30s)" lines); items not started yet wait, unspun.
 *
 * This is the only file that imports listr2, and only when a live view is made: `status` and
 * every run without a terminal never load it (PERF-NOTES: +15 ms).
 */

export type ItemStatus = 'pass' | 'fail' | 'warn' | 'timeout' | 'error' | 'pending' | 'skipped';

export interface ProgressView {
  /** `title` names an item that was not in the list the view was made with. */
  start(id: string, title?: string): void;
  output(id: string, line: string): void;
  /** How far a long item is ("12,034 / 46,112 files · 180 MiB / 529 MiB · 42 MiB/s · ETA 8s"). */
  progress(id: string, line: string, data?: Record<string, unknown>): void;
  finish(id: string, status: ItemStatus, detail?: string): void;
  /** Ends the view (items never finished are shown as skipped) and restores the terminal. */
  close(): Promise<void>;
}

export interface ProgressOptions {
  /** The caller prints a table of the results afterwards: the view reports no end lines. */
  table?: boolean;
  /** How many items run at once (the others wait, shown as waiting); default: all. */
  concurrency?: number;
}

export const silentProgress: ProgressView = {
  start() {},
  output() {},
  progress() {},
  finish() {},
  close: async () => {},
};

export function createProgress(
  out: Output,
  heading: string,
  items: { id: string; title: string }[],
  options: ProgressOptions = {},
): ProgressView {
  if (out.json) return out.events ? createEventProgress(out, heading, items) : silentProgress;
  if (!out.interactive || items.length === 0) return createPlainProgress(out, heading, items, options);
  return createLiveProgress(out, heading, items, options);
}

/** The live view reports every item itself: a results table after it would say it all twice. */
export function drawsResults(out: Output): boolean {
  return !out.json && out.interactive;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

interface Entry {
  title: string;
  started: Deferred<void>;
  finished: Deferred<{ status: ItemStatus; detail?: string }>;
  isStarted: boolean;
  isFinished: boolean;
  /** Output that arrived before listr2 handed us the task. */
  lines: string[];
  setOutput?: (line: string) => void;
  /** The latest progress reading, shown in the title beside the elapsed time. */
  progressLine?: string;
  redraw?: () => void;
}

function createLiveProgress(
  out: Output,
  heading: string,
  items: { id: string; title: string }[],
  options: ProgressOptions,
): ProgressView {
  const { c } = out;
  const entries = new Map<string, Entry>();
  for (const item of items)
    entries.set(item.id, {
      title: item.title,
      started: deferred(),
      finished: deferred(),
      isStarted: false,
      isFinished: false,
      lines: [],
    });

  out.say(c.bold(heading));
  // listr2 loads asynchronously; events that come first are kept in the entries and replayed.
  const rendering = (async () => {
    const { DefaultRenderer, Listr, ListrLogger, ProcessOutput } = await import('listr2');
    // listr2 picks its live renderer by stdout being a TTY; ours draws on stderr (stdout is for
    // --json and pipes), which the caller has already found to be a terminal.
    class StderrRenderer extends DefaultRenderer {
      static override nonTTY = true;
    }
    // Both slots on stderr: the view draws there, and any other stderr write made while it
    // draws is held back and printed after it (instead of tearing the display).
    const stderr = out.streams.stderr as NodeJS.WriteStream;
    const processOutput = new ProcessOutput(stderr, stderr, { leaveEmptyLine: false });
    const tasks = items.map((item) => ({
      title: item.title,
      rendererOptions: { outputBar: 3, persistentOutput: false },
      task: async (_ctx: unknown, task: { title: string; output: string; skip(message?: string): void }) => {
        const e = entries.get(item.id)!;
        e.setOutput = (line) => {
          task.output = line;
        };
        if (!e.isStarted) task.title = `${item.title} ${c.dim('(waiting)')}`;
        await e.started.promise;
        // The elapsed time, growing in the title: a hung step is seen to hang.
        const at = performance.now();
        task.title = item.title;
        e.redraw = () => {
          const elapsed = c.dim(`(${formatElapsed(performance.now() - at)})`);
          task.title = `${item.title} ${elapsed}${e.progressLine ? ` ${c.dim(`— ${e.progressLine}`)}` : ''}`;
        };
        const tick = setInterval(() => e.redraw?.(), 1000);
        tick.unref();
        for (const line of e.lines.splice(0)) task.output = line;
        const { status, detail } = await e.finished.promise.finally(() => clearInterval(tick));
        const tookMs = performance.now() - at;
        const took = tookMs >= 1000 ? ` ${c.dim(`(${formatDuration(tookMs)})`)}` : '';
        const said = (detail ? ` ${c.dim(`— ${detail}`)}` : '') + took;
        switch (status) {
          case 'pass':
            task.title = `${item.title}${said}`;
            return;
          case 'warn':
            task.title = `${item.title} ${c.yellow(`warning${detail ? `: ${detail}` : ''}`)}`;
            return;
          case 'pending':
          case 'skipped':
            task.skip(`${item.title} ${c.dim(`(${status}${detail ? `: ${detail}` : ''})`)}`);
            return;
          default:
            throw new Error(`${status}${detail ? `: ${detail}` : ''}`);
        }
      },
    }));
    const list = new Listr(tasks, {
      // Only as many spin as run: the rest wait, drawn as pending.
      concurrent: options.concurrency ?? true,
      exitOnError: false,
      // We handle SIGINT in main.ts: listr2's own handler would exit 127 without cleanup.
      registerSignalListeners: false,
      renderer: StderrRenderer,
      rendererOptions: {
        logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput }),
        formatOutput: 'truncate',
        collapseErrors: false,
        showErrorMessage: true,
      },
    });
    await list.run();
  })().catch((err: unknown) => {
    // The view must never fail the command; say so once and carry on without it.
    out.warn(`progress display failed: ${(err as Error).message}`);
  });

  return {
    start(id) {
      const e = entries.get(id);
      if (!e || e.isStarted) return;
      e.isStarted = true;
      e.started.resolve();
    },
    output(id, line) {
      const e = entries.get(id);
      if (!e) return;
      if (e.setOutput && e.isStarted) e.setOutput(line);
      else e.lines.push(line);
    },
    progress(id, line) {
      const e = entries.get(id);
      if (!e) return;
      e.progressLine = line;
      e.redraw?.();
    },
    finish(id, status, detail) {
      const e = entries.get(id);
      if (!e || e.isFinished) return;
      e.isFinished = true;
      if (!e.isStarted) this.start(id);
      e.finished.resolve({ status, ...(detail !== undefined ? { detail } : {}) });
    },
    async close() {
      for (const [id, e] of entries) if (!e.isFinished) this.finish(id, 'skipped', 'not run');
      await rendering;
    },
  };
}
