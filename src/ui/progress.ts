import type { Output } from './output.js';
import { createPlainProgress } from './progress-plain.js';

/**
 * An event-driven progress view: the caller says when an item starts, prints a line, and ends;
 * the view draws it. Live (listr2) on a terminal, plain lines without one or under CI, nothing
 * with --json; always on stderr. The checklist runner and the phase runner share it.
 *
 * This is the only file that imports listr2, and only when a live view is made: `status` and
 * every run without a terminal never load it (PERF-NOTES: +15 ms).
 */

export type ItemStatus = 'pass' | 'fail' | 'warn' | 'timeout' | 'error' | 'pending' | 'skipped';

export interface ProgressView {
  /** `title` names an item that was not in the list the view was made with. */
  start(id: string, title?: string): void;
  output(id: string, line: string): void;
  finish(id: string, status: ItemStatus, detail?: string): void;
  /** Ends the view (items never finished are shown as skipped) and restores the terminal. */
  close(): Promise<void>;
}

export const silentProgress: ProgressView = {
  start() {},
  output() {},
  finish() {},
  close: async () => {},
};

export function createProgress(
  out: Output,
  heading: string,
  items: { id: string; title: string }[],
): ProgressView {
  if (out.json) return silentProgress;
  if (!out.interactive || items.length === 0) return createPlainProgress(out, heading, items);
  return createLiveProgress(out, heading, items);
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
}

function createLiveProgress(
  out: Output,
  heading: string,
  items: { id: string; title: string }[],
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
        if (!e.isStarted) task.title = `${item.title} ${c.dim('(queued)')}`;
        await e.started.promise;
        task.title = item.title;
        for (const line of e.lines.splice(0)) task.output = line;
        const { status, detail } = await e.finished.promise;
        const said = detail ? ` ${c.dim(`— ${detail}`)}` : '';
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
      concurrent: true,
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
