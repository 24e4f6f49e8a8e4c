#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=100
import { setFlagsFromString } from 'node:v8';

// A backup of a million files makes its garbage in small pieces, and V8's defaults let it pile
// up (issue 13's bench). A young generation of 16 MB a semi-space added ~25 MB a thread to the
// peak: 4 MB here on this thread, which walks and reads the previous manifest (1 MB spent a
// third of its time collecting), and 2 MB on the worker threads, which copy and make the
// manifest's lines (1 MB: a 200,000-file incremental took 4.0–4.3 s against 3.6–3.8 s, for
// 5 MB less). An old generation left to grow to four or five times what is live before it is
// collected (twice, here) put a million-file incremental backup over 200 MB. The first line
// sets this thread's when the command is run as a program; this sets the worker threads' (and
// both as far as it can under `node bin/gnr-migrate.js`).
setFlagsFromString('--max-semi-space-size=2');
setFlagsFromString('--heap-growing-percent=100');

const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(process.argv.slice(2));
