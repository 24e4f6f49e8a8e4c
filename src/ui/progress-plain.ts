import { formatDuration } from '../core/clock.js';
import type { Output } from './output.js';
import type { ItemStatus, ProgressView } from './progress.js';

/** An item still running after this long gets a line saying so; quicker ones get one line. */
const announceAfterMs = 2_000;

/**
 * Progress as plain lines, for CI logs and pipes: one line when an item ends, a line when it
 * starts only if it is slow or prints output, and command output prefixed by its item (items
 * run concurrently, lines interleave).
 */
export function createPlainProgress(
  out: Output,
  heading: string,
  items: { id: string; title: string }[],
): ProgressView {
  const { c } = out;
  const titles = new Map(items.map((i) => [i.id, i.title]));
  const running = new Map<string, { at: number; announced: boolean; timer?: NodeJS.Timeout }>();
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
  out.say(c.bold(heading));
  return {
    start(id, itemTitle) {
      if (itemTitle) titles.set(id, itemTitle);
      const timer = setTimeout(() => announce(id), announceAfterMs);
      timer.unref();
      running.set(id, { at: performance.now(), announced: false, timer });
    },
    output(id, line) {
      announce(id);
      out.say(c.dim(`    │ ${id}: ${line}`));
    },
    finish(id, status, detail) {
      const r = running.get(id);
      if (r?.timer) clearTimeout(r.timer);
      running.delete(id);
      const took = r ? c.dim(` (${formatDuration(performance.now() - r.at)})`) : '';
      out.say(`  ${marks[status]} ${title(id)} ${status}${detail ? ` — ${detail}` : ''}${took}`);
    },
    close: async () => {
      for (const r of running.values()) if (r.timer) clearTimeout(r.timer);
    },
  };
}
