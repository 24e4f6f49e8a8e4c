import type { Output } from '../ui/output.js';
import { createProgress, type ItemStatus, type ProgressOptions, type ProgressView } from '../ui/progress.js';
import { createPlainProgress } from '../ui/progress-plain.js';

/**
 * How the phase runner and the rollback executor tell a person what they are doing, section
 * by section. A section whose items are known up front is drawn live (listr2) on a terminal;
 * otherwise, and always without a terminal or under CI, it is plain lines. Silent with --json.
 */
export interface StageReporter {
  /** `options.concurrency`: items that run at once (default 1: steps and backups, in order). */
  stage(title: string, items?: { id: string; title: string }[], options?: ProgressOptions): void;
  start(id: string, title: string): void;
  output(id: string, line: string): void;
  /** How far a long item is (a backup's files, bytes, rate and ETA). */
  progress(id: string, line: string, data?: Record<string, unknown>): void;
  end(id: string, status: ItemStatus, detail?: string): void;
  /** A line of its own (a notice between sections). */
  note(line: string): void;
  close(): Promise<void>;
}

export const silentReporter: StageReporter = {
  stage() {},
  start() {},
  output() {},
  progress() {},
  end() {},
  note() {},
  close: async () => {},
};

export function createStageReporter(out: Output): StageReporter {
  if (out.json && !out.events) return silentReporter;
  let view: ProgressView | undefined;
  // Sections close in order: a live view must finish drawing before the next one starts.
  let closing: Promise<void> = Promise.resolve();
  const closeView = () => {
    if (!view) return;
    const v = view;
    view = undefined;
    closing = closing.then(() => v.close());
  };
  return {
    stage(title, items, options) {
      closeView();
      view =
        (items && items.length > 0) || out.json
          ? createProgress(out, title, items ?? [], { concurrency: 1, ...options })
          : createPlainProgress(out, `▸ ${title}`, []);
    },
    start(id, title) {
      view?.start(id, title);
    },
    output(id, line) {
      view?.output(id, line);
    },
    progress(id, line, data) {
      view?.progress(id, line, data);
    },
    end(id, status, detail) {
      view?.finish(id, status, detail);
    },
    note(line) {
      closeView();
      out.say(line);
    },
    async close() {
      closeView();
      await closing;
    },
  };
}
