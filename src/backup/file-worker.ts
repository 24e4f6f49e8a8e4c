import { parentPort } from 'node:worker_threads';
import { type FileTask, runTask } from './file-ops.js';

/** Worker thread entry (see pool.ts): takes a batch of file tasks, answers with their results. */
parentPort?.on('message', (tasks: FileTask[]) => {
  parentPort?.postMessage(tasks.map(runTask));
});
