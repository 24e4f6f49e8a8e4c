/** `prune`'s keep list is a rule about run state: it lives with the other rules of it. */
export { protectedBackups } from '../ledger/run-state.js';
