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
  const started = new Map<string, { title: string; at: number }>();
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
      started.set(id, { title, at: performance.now() });
      if (view) view.start(id);
      else if (!out.interactive) out.say(`  ${c.dim('…')} ${title}`);
    },
    output(id, line) {
      if (view) view.output(id, line);
      else out.say(c.dim(`    │ ${line}`));
    },
    end(id, status, detail) {
      const s = started.get(id);
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
