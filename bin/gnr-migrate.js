#!/usr/bin/env -S node --max-semi-space-size=1
import { setFlagsFromString } from 'node:v8';

// A young generation of 1 MB a semi-space (V8 grows it to 16): a backup of a million files
// makes its garbage in small pieces, and the larger space only raised the peak memory of each
// thread by ~25 MB, never the speed (issue 13's bench). The first line sets it for this
// thread when the command is run as a program; this sets it for the worker threads (and does
// the most it can when run as `node bin/gnr-migrate.js`).
setFlagsFromString('--max-semi-space-size=1');

const { main } = await import('../dist/bundle/main.js');
process.exitCode = await main(process.argv.slice(2));
