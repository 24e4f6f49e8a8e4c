import { parentPort } from 'node:worker_threads';
import { type BuildBatch, buildBatch } from './assemble.js';
import { type FileTask, runTask } from './file-ops.js';

/**
 * Worker thread entry (see pool.ts): takes a batch of file tasks and answers with their results,
 * or a batch of a backup's build and answers with its part.
 */
parentPort?.on('message', (message: FileTask[] | { build: BuildBatch }) => {
  parentPort?.postMessage(Array.isArray(message) ? message.map(runTask) : buildBatch(message.build));
});
