import type { BackupExtent } from '../backup/types.js';
import { formatBytes, formatElapsed } from '../core/clock.js';
import { bytesReadSoFar } from '../core/proc-io.js';
import type { Output } from './output.js';

/** What the work will hold and read (backup/types.ts; a restore: read twice, verify then copy). */
export type BackupTotal = BackupExtent;

export interface MeterReading {
  line: string;
  files?: number;
  bytes?: number;
  bytesDone: number;
  bytesPerSecond: number;
  etaMs?: number;
}

/**
 * Progress of a backup or restore while it runs: files and bytes in all, bytes done, rate and
 * ETA ("46,112 files · 529 MiB: 180 MiB of 529 MiB done (34 %) · 42 MiB/s · ETA 8s"), reported every
 * `everyMs` (1 s on a terminal, 10 s in a log). The total comes from the work: a backup gives
 * it once it knows (createBackup's onExtent), a restore's comes from its manifest. Bytes done are the bytes this process read (core/proc-io.ts).
 */
export function startBackupMeter(options: {
  /** Known at the start (a restore's, from its manifest); or given later through setTotal. */
  total?: BackupTotal;
  report: (reading: MeterReading) => void;
  everyMs: number;
}): { stop(): void; setTotal(total: BackupTotal): void } {
  const startRead = bytesReadSoFar();
  if (startRead === undefined) return { stop() {}, setTotal() {} };
  const at = performance.now();
  let total = options.total;
  let stopped = false;
  // The rate over the last ~5 s (two readings at least): the scan before the first copy and a
  // slower stretch would make an average since the start mislead the ETA.
  const samples: { t: number; done: number }[] = [{ t: at, done: 0 }];
  const keep = Math.max(2, Math.ceil(5000 / options.everyMs) + 1);
  const tick = setInterval(() => {
    if (stopped) return;
    const now = performance.now();
    const done = Math.max(0, (bytesReadSoFar() ?? startRead) - startRead);
    samples.push({ t: now, done });
    if (samples.length > keep) samples.shift();
    const first = samples[0]!;
    const seconds = (now - first.t) / 1000;
    const rate = seconds > 0 ? (done - first.done) / seconds : 0;
    options.report(reading(done, rate, total));
  }, options.everyMs);
  tick.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(tick);
    },
    setTotal(t) {
      total = t;
    },
  };
}

/** The total of a restore from the backup's manifest totals: read once to verify, once to copy. */
export function restoreTotal(info: { files: number; bytes: number }): BackupTotal {
  return { files: info.files, bytes: info.bytes, toRead: 2 * info.bytes };
}

/**
 * A line that shows the latest reading: redrawn in place on a terminal, printed (every 10 s,
 * as the meter is set) in a log. `done()` clears it.
 */
export function statusLine(out: Output): { show(line: string): void; done(): void } {
  let shown = false;
  return {
    show(line) {
      if (out.json) return;
      if (out.interactive) {
        out.streams.stderr.write(`\r\x1b[K  ${out.c.dim(line)}`);
        shown = true;
      } else out.say(out.c.dim(`  │ ${line}`));
    },
    done() {
      if (shown) out.streams.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

export function reading(done: number, rate: number, total: BackupTotal | undefined): MeterReading {
  rate = Math.round(rate);
  const speed = `${formatBytes(rate)}/s`;
  if (!total) return { line: `${formatBytes(done)} read · ${speed}`, bytesDone: done, bytesPerSecond: rate };
  const what = `${total.files.toLocaleString('en-US')} files · ${formatBytes(total.bytes)}${total.linked ? ` (${total.linked.toLocaleString('en-US')} unchanged, linked)` : ''}`;
  if (total.toRead === undefined)
    return {
      line: `${what}: ${formatBytes(done)} read · ${speed}`,
      files: total.files,
      bytes: total.bytes,
      bytesDone: done,
      bytesPerSecond: rate,
    };
  const shown = Math.min(done, total.toRead);
  const pct = total.toRead > 0 ? Math.floor((shown / total.toRead) * 100) : 100;
  const etaMs = rate > 0 && total.toRead > shown ? ((total.toRead - shown) / rate) * 1000 : undefined;
  return {
    line: `${what}: ${formatBytes(shown)} of ${formatBytes(total.toRead)} done (${pct} %) · ${speed}${etaMs !== undefined ? ` · ETA ${formatElapsed(etaMs + 999)}` : ''}`,
    files: total.files,
    bytes: total.bytes,
    bytesDone: shown,
    bytesPerSecond: Math.round(rate),
    ...(etaMs !== undefined ? { etaMs: Math.round(etaMs) } : {}),
  };
}
