import { formatDuration } from '../core/clock.js';
import type { Output } from './output.js';
import type { ItemStatus, ProgressView } from './progress.js';

/**
 * Progress as plain lines, for CI logs and pipes: a line when an item starts, a line when it
 * ends, and command output prefixed by its item (items run concurrently, lines interleave).
 */
export function createPlainProgress(
  out: Output,
  heading: string,
  items: { id: string; title: string }[],
): ProgressView {
  const { c } = out;
  const titles = new Map(items.map((i) => [i.id, i.title]));
  const started = new Map<string, number>();
  const marks: Record<ItemStatus, string> = {
    pass: c.green('✓'),
    fail: c.red('✗'),
    warn: c.yellow('!'),
    timeout: c.red('⧗'),
    error: c.red('✗'),
    pending: c.dim('…'),
    skipped: c.dim('-'),
  };
  out.say(c.bold(heading));
  return {
    start(id) {
      started.set(id, performance.now());
      out.say(`  ${c.dim('▸')} ${titles.get(id) ?? id} ${c.dim('…')}`);
    },
    output(id, line) {
      out.say(c.dim(`    │ ${id}: ${line}`));
    },
    finish(id, status, detail) {
      const at = started.get(id);
      const took = at !== undefined ? c.dim(` (${formatDuration(performance.now() - at)})`) : '';
      out.say(`  ${marks[status]} ${titles.get(id) ?? id} ${status}${detail ? ` — ${detail}` : ''}${took}`);
    },
    close: async () => {},
  };
}
