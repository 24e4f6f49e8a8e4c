import { randomBytes } from 'node:crypto';
import { stampDash } from '../core/clock.js';

/** `20261122-101500-phase3-a1b2`: sortable, says what it was, unique across hosts. */
export function newRunId(kind: 'phase' | 'rollback' | 'backup', phase: number | null, at: Date): string {
  return `${stampDash(at)}-${kind}${phase ?? ''}-${randomBytes(2).toString('hex')}`;
}
