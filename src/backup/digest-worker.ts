import { parentPort, workerData } from 'node:worker_threads';
import { compileExcludes } from './excludes.js';
import { type Listing, listingDigest } from './find-scan.js';

/** Worker thread entry (see digest-thread.ts): the set digest of one listing, then it ends. */
const { listing, excludes, avoid } = workerData as { listing: Listing; excludes: string[]; avoid: string[] };
const digest = listingDigest(listing, { exclude: compileExcludes(excludes), avoid: new Set(avoid) });
parentPort?.postMessage(digest ?? null);
