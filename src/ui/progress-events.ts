import type { Output } from './output.js';
import type { ProgressView } from './progress.js';
import { stillRunningEveryMs } from './progress-plain.js';

/**
 * `--json --events`: progress as NDJSON on stdout, one event per line, as it happens, for a CI
 * job or a dashboard to follow a long run. The shapes (README, "Progress events"):
 *
 *   {"event":"stage","title":…,"items":[{"id","title"}],"at":ISO}
 *   {"event":"start","id":…,"title":…,"at":ISO}
 *   {"event":"output","id":…,"line":…}
 *   {"event":"running","id":…,"elapsedMs":N}                 every 30 s while an item runs
 *   {"event":"progress","id":…,"line":…, …data}              e.g. a backup's files, bytes, ETA
 *   {"event":"finish","id":…,"status":…,"detail":…,"durationMs":N}
 *   {"event":"result","data":{…}}                             last: the command's JSON document
 */
export function createEventProgress(
  out: Output,
  heading: string,
  items: { id: string; title: string }[],
): ProgressView {
  const titles = new Map(items.map((i) => [i.id, i.title]));
  const running = new Map<string, { at: number; every: NodeJS.Timeout }>();
  out.event({ event: 'stage', title: heading, items, at: new Date().toISOString() });
  return {
    start(id, title) {
      if (title) titles.set(id, title);
      const at = performance.now();
      const every = setInterval(
        () => out.event({ event: 'running', id, elapsedMs: Math.round(performance.now() - at) }),
        stillRunningEveryMs,
      );
      every.unref();
      running.set(id, { at, every });
      out.event({ event: 'start', id, title: titles.get(id) ?? id, at: new Date().toISOString() });
    },
    output(id, line) {
      out.event({ event: 'output', id, line });
    },
    progress(id, line, data) {
      out.event({ event: 'progress', id, line, ...(data ?? {}) });
    },
    finish(id, status, detail) {
      const r = running.get(id);
      if (r) clearInterval(r.every);
      running.delete(id);
      out.event({
        event: 'finish',
        id,
        status,
        ...(detail !== undefined ? { detail } : {}),
        ...(r ? { durationMs: Math.round(performance.now() - r.at) } : {}),
      });
    },
    close: async () => {
      for (const r of running.values()) clearInterval(r.every);
    },
  };
}
