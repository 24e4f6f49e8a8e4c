import { formatDuration } from '../core/clock.js';
import type { Output } from '../ui/output.js';
import { createProgress, type ItemStatus, type ProgressView } from '../ui/progress.js';

/**
 * How the phase runner and the rollback executor tell a person what they are doing. Sections
 * whose items are known up front are drawn live (listr2) on a terminal; everything else, and
 * everything without a terminal or under CI, is plain lines. Silent with --json.
 */
export interface StageReporter {
  stage(title: string, items?: { id: string; title: string }[]): void;
  start(id: string, title: string): void;
  output(id: string, line: string): void;
  end(id: string, status: ItemStatus, detail?: string): void;
  /** A line of its own (a notice between sections). */
  note(line: string): void;
  close(): Promise<void>;
}

const slowAfterMs = 2_000;

interface Started {
  title: string;
  at: number;
  announced: boolean;
  timer?: NodeJS.Timeout;
}

export const silentReporter: StageReporter = {
  stage() {},
  start() {},
  output() {},
  end() {},
  note() {},
  close: async () => {},
};

export function createStageReporter(out: Output): StageReporter {
  if (out.json) return silentReporter;
  const { c } = out;
  let view: ProgressView | undefined;
  let pendingClose: Promise<void> = Promise.resolve();
  const started = new Map<string, Started>();
  const announce = (entry: Started) => {
    if (entry.announced) return;
    entry.announced = true;
    if (entry.timer) clearTimeout(entry.timer);
    out.say(`  ${c.dim('…')} ${entry.title}`);
  };
  const icon: Record<ItemStatus, string> = {
    pass: c.green('✓'),
    fail: c.red('✗'),
    warn: c.yellow('!'),
    timeout: c.red('⧗'),
    error: c.red('✗'),
    pending: c.dim('…'),
    skipped: c.dim('-'),
  };
  const closeView = () => {
    if (view) {
      const v = view;
      view = undefined;
      pendingClose = pendingClose.then(() => v.close());
    }
  };
  return {
    stage(title, items) {
      closeView();
      if (out.interactive && items && items.length > 0) {
        view = createProgress(out, title, items);
        return;
      }
      out.say(c.bold(`▸ ${title}`));
    },
    start(id, title) {
      const entry: Started = { title, at: performance.now(), announced: false };
      started.set(id, entry);
      if (view) view.start(id);
      else {
        // Quick items print one line when they end; a slow one says it is running.
        entry.timer = setTimeout(() => announce(entry), slowAfterMs);
        entry.timer.unref();
      }
    },
    output(id, line) {
      if (view) return view.output(id, line);
      const entry = started.get(id);
      if (entry) announce(entry);
      out.say(c.dim(`    │ ${line}`));
    },
    end(id, status, detail) {
      const s = started.get(id);
      if (s?.timer) clearTimeout(s.timer);
      if (view) {
        view.finish(id, status, detail);
        return;
      }
      const took = s ? c.dim(` (${formatDuration(performance.now() - s.at)})`) : '';
      out.say(`  ${icon[status]} ${s?.title ?? id}${detail ? ` — ${detail}` : ''}${took}`);
    },
    note(line) {
      closeView();
      out.say(line);
    },
    async close() {
      closeView();
      await pendingClose;
    },
  };
}
