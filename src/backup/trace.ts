import { performance } from 'node:perf_hooks';

/**
 * `GNR_MIGRATE_TRACE=1`: the time each stage of a backup operation took, on stderr. For
 * measuring on a real machine; silent otherwise.
 */
export function tracer(what: string): (stage: string) => void {
  if (!process.env.GNR_MIGRATE_TRACE) return () => {};
  let last = performance.now();
  return (stage) => {
    const now = performance.now();
    process.stderr.write(
      `[trace] ${what}: ${stage} ${(now - last).toFixed(1)} ms (at ${now.toFixed(0)} ms, heap ${mb(process.memoryUsage().heapUsed)} MB, rss ${mb(process.memoryUsage.rss())} MB)\n`,
    );
    last = now;
  };
}

const mb = (n: number) => Math.round(n / 2 ** 20);
