import { formatDuration, formatElapsed } from '../core/clock.js';
import type { Output } from './output.js';
import type { ItemStatus, ProgressOptions, ProgressView } from './progress.js';

/** An item still running after this long gets a line saying so; quicker ones get one line. */
const announceAfterMs = 2_000;
/** Then a line every this long while it runs, so a CI log shows a hang is a hang, not a freeze. */
export const stillRunningEveryMs = 30_000;

/**
 * Progress as plain lines, for CI logs and pipes: one line when an item ends, a line when it
 * starts only if it is slow or prints output, "still running (30s)" every 30 s while it runs,
 * and command output prefixed by its item (items run concurrently, lines interleave). With
 * `table` (the caller prints a table of the results after), no end lines: each item is
 * reported once.
 */
export function createPlainProgress(
  out: Output,
  heading: string,
  items: { id: string; title: string }[],
  options: ProgressOptions = {},
): ProgressView {
  const { c } = out;
  const titles = new Map(items.map((i) => [i.id, i.title]));
  const running = new Map<
    string,
    { at: number; announced: boolean; timer?: NodeJS.Timeout; every?: NodeJS.Timeout }
  >();
  const marks: Record<ItemStatus, string> = {
    pass: c.green('✓'),
    fail: c.red('✗'),
    warn: c.yellow('!'),
    timeout: c.red('⧗'),
    error: c.red('✗'),
    pending: c.dim('…'),
    skipped: c.dim('-'),
  };
  const title = (id: string) => titles.get(id) ?? id;
  const announce = (id: string) => {
    const r = running.get(id);
    if (!r || r.announced) return;
    r.announced = true;
    if (r.timer) clearTimeout(r.timer);
    out.say(`  ${c.dim('▸')} ${title(id)} ${c.dim('…')}`);
  };
  const stop = (r: { timer?: NodeJS.Timeout; every?: NodeJS.Timeout }) => {
    if (r.timer) clearTimeout(r.timer);
    if (r.every) clearInterval(r.every);
  };
  out.say(c.bold(heading));
  return {
    start(id, itemTitle) {
      if (itemTitle) titles.set(id, itemTitle);
      const at = performance.now();
      const timer = setTimeout(() => announce(id), announceAfterMs);
      timer.unref();
      const every = setInterval(() => {
        announce(id);
        out.say(
          `  ${c.dim('▸')} ${title(id)} ${c.yellow(`still running (${formatElapsed(performance.now() - at)})`)}`,
        );
      }, stillRunningEveryMs);
      every.unref();
      running.set(id, { at, announced: false, timer, every });
    },
    output(id, line) {
      announce(id);
      out.say(c.dim(`    │ ${id}: ${line}`));
    },
    progress(id, line) {
      announce(id);
      out.say(c.dim(`    │ ${id}: ${line}`));
    },
    finish(id, status, detail) {
      const r = running.get(id);
      if (r) stop(r);
      running.delete(id);
      if (options.table) return;
      const took = r ? c.dim(` (${formatDuration(performance.now() - r.at)})`) : '';
      // The mark says pass; a word is added only for the other outcomes.
      const word =
        status === 'pass' ? '' : ` ${status === 'fail' || status === 'error' ? c.red(status) : status}`;
      out.say(`  ${marks[status]} ${title(id)}${word}${detail ? ` — ${detail}` : ''}${took}`);
    },
    close: async () => {
      for (const r of running.values()) stop(r);
    },
  };
}
