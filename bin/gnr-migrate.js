#!/usr/bin/env -S node --max-semi-space-size=1 --heap-growing-percent=100
import { setFlagsFromString } from 'node:v8';

// A backup of a million files makes its garbage in small pieces, and V8's defaults let it pile
// up: a young generation of 16 MB a semi-space (1 here) added ~25 MB a thread to the peak and
// never helped the speed, and an old generation left to grow to four or five times what is
// live before it is collected (twice, here) put a million-file incremental backup over 200 MB
// for 5 % of its time (issue 13's bench). The first line sets both for this thread when the
// command is run as a program; this sets them for the worker threads (and does the most it can
// when run as `node bin/gnr-migrate.js`).
setFlagsFromString('--max-semi-space-size=1');
setFlagsFromString('--heap-growing-percent=100');

const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(process.argv.slice(2));
