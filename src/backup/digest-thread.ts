import { Worker } from 'node:worker_threads';
import { compileExcludes } from './excludes.js';
import { type Listing, listingDigest } from './find-scan.js';
import { compiledWorker, workerLimits } from './pool.js';

/**
 * The set digest of find's listing (find-scan.ts listingDigest), on a thread of its own for a
 * large listing: started as soon as the listing is there, it runs while the backup copies, where
 * it took 2.4 s of this thread after the copy for a million files. A small one is digested here,
 * when asked (a thread costs ~30 ms and ~10 MB). Here too when the compiled worker is absent
 * (the tests run the TypeScript sources). undefined when the listing cannot be digested, or
 * the thread failed: then the listing is not kept, which only costs the next backup its
 * shortcut.
 */
export interface PendingDigest {
  value(): Promise<string | undefined>;
}

const workerUrl = compiledWorker('./digest-worker.js');
/** Records from which a thread is worth it. */
const threadMin = 50_000;

export function digestListing(
  listing: Listing,
  excludes: readonly string[],
  avoid: Set<string>,
): PendingDigest {
  const here = () => listingDigest(listing, { exclude: compileExcludes(excludes), avoid });
  if (!workerUrl || listing.records < threadMin) return { value: async () => here() };
  const done = new Promise<string | undefined>((resolve) => {
    const w = new Worker(workerUrl, {
      workerData: { listing, excludes: [...excludes], avoid: [...avoid] },
      resourceLimits: workerLimits,
    });
    w.once('message', (d: string | null) => resolve(d ?? undefined));
    w.once('error', () => resolve(undefined));
    w.once('exit', () => resolve(undefined));
  });
  return { value: () => done };
}
