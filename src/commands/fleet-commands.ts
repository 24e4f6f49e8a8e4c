/**
 * The fleet commands behind one lazy import: the bundle keeps them in one chunk (they are
 * run rarely, together, and the packed tarball stays small), while each keeps its own file.
 */
export { run as gate } from './fleet-gate.js';
export { run as phase } from './fleet-phase.js';
export { run as resume } from './fleet-resume.js';
export { run as rollback } from './fleet-rollback.js';
export { run as status } from './fleet-status.js';
