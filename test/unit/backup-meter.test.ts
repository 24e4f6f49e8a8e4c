import { describe, expect, it } from 'vitest';
import { reading, restoreTotal } from '../../src/ui/backup-meter.js';

describe('backup progress readings', () => {
  it('says files, bytes, how much is done, the rate and the ETA', () => {
    const total = { files: 46_112, bytes: 529 * 1024 * 1024, toRead: 529 * 1024 * 1024 };
    const r = reading(180 * 1024 * 1024, 42 * 1024 * 1024, total);
    expect(r.line).toBe('46,112 files · 529 MiB: 180 MiB of 529 MiB done (34 %) · 42 MiB/s · ETA 9s');
    expect(r).toMatchObject({ files: 46_112, bytesDone: 180 * 1024 * 1024 });
    expect(r.etaMs).toBeGreaterThan(8000);
  });

  it('counts only what will be read: unchanged files are linked, a restore reads twice', () => {
    const inc = { files: 100, bytes: 1000, toRead: 100, linked: 90 };
    expect(reading(50, 10, inc).line).toMatch(/\(90 unchanged, linked\): 50 B of 100 B done \(50 %\)/);
    expect(restoreTotal({ files: 3, bytes: 10 }).toRead).toBe(20);
  });

  it('an incremental whose reads are not known yet: what is read and the rate, no ETA', () => {
    const r = reading(3 * 1024 * 1024, 1024 * 1024, { files: 1_000_000, bytes: 2 * 1024 ** 3 });
    expect(r.line).toBe('1,000,000 files · 2.0 GiB: 3.0 MiB read · 1.0 MiB/s');
    expect(r.etaMs).toBeUndefined();
  });

  it('before the total is known, and once done', () => {
    expect(reading(2048, 1024, undefined).line).toBe('2.0 KiB read · 1.0 KiB/s');
    const done = reading(5000, 100, { files: 1, bytes: 1000, toRead: 1000 });
    expect(done.line).toMatch(/1000 B of 1000 B done \(100 %\)/);
    expect(done.etaMs).toBeUndefined();
  });
});
