import { closeSync, openSync, writeSync } from 'node:fs';
import { entriesKey, entrySeparator } from './manifest-format.js';

/**
 * The entries part of a manifest (manifestBody's bytes), written to a file as the lines come,
 * so a backup of a million files never holds a million lines: create.ts then puts the header
 * and this file together into manifest.json.
 */
export class EntrySink {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingChars = 0;
  private count = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w', 0o600);
  }

  /** One line, or several already joined as manifestBody joins them (a worker's part). */
  push(line: string): void {
    this.pending.push(line);
    this.pendingChars += line.length;
    // A quarter MiB at a time: lines held longer outlive the young generation (bin/gnr-migrate.js).
    if (this.pendingChars > 1 << 18) this.flush();
  }

  /** Closes the file; its bytes are manifestBody(all lines pushed). */
  finish(): void {
    this.flush();
    write(this.fd, this.count === 0 ? `${entriesKey}]\n}\n` : '\n  ]\n}\n');
    closeSync(this.fd);
  }

  /** Closes the file without finishing it (the backup failed). */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join(entrySeparator);
    write(this.fd, this.count === 0 ? `${entriesKey}\n    ${text}` : `${entrySeparator}${text}`);
    this.count += this.pending.length;
    this.pending = [];
    this.pendingChars = 0;
  }
}

function write(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
}
