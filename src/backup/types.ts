import type { Clock } from '../core/clock.js';
import type { Workspace } from '../core/workspace.js';
import type { System } from '../plan/types.js';

/**
 * The backup contract the phase runner, rollback, gate and the `backup` commands share.
 * Manifest shape: `manifest.ts` (a zod schema; its JSON Schema ships in dist/schemas/).
 */

export interface BackupInfo {
  /** `<system>_<YYYYMMDD-HHMMSS>[-N]`, also the folder name under backups/. */
  id: string;
  system: string;
  /** backups/<id>/ */
  dir: string;
  /** The source path that was backed up. */
  source: string;
  /** 'dir' or 'file' system. */
  sourceType: 'dir' | 'file';
  phase: number | null;
  runId: string | null;
  createdAt: string;
  files: number;
  bytes: number;
  /** sha256 of manifest.json's bytes, for runbooks and gate. */
  manifestHash: string;
  /** The backup unchanged files were hard-linked from (incremental), null for a full copy. */
  previous?: string | null;
  /** Files hard-linked from `previous` rather than copied. */
  linkedFiles?: number;
  /** Set when manifest.json cannot be read or is invalid: the backup cannot be restored. */
  damaged?: string;
  /**
   * Of a backup just made: what was seen and not kept (sockets, FIFOs, devices, files that
   * vanished during the copy), for the command's output; `list` leaves it out.
   */
  skipped?: Array<{ path: string; reason: string }>;
}

export interface CreateBackupOptions {
  ws: Workspace;
  system: System;
  phase: number | null;
  runId: string | null;
  clock?: Clock;
  signal?: AbortSignal;
  /** Called once what the backup will hold is known, for a progress meter (BackupExtent). */
  onExtent?: (extent: BackupExtent) => void;
}

/**
 * What a backup will hold, from what it reads anyway (find's listing of the source, or the
 * previous manifest of an unchanged one), never from a walk of its own: the meter's estimate
 * walk cost a second walk of the source, 4.5 s of 12 for an unchanged million files.
 */
export interface BackupExtent {
  files: number;
  bytes: number;
  /** Bytes that will be read (copied), when known: an incremental knows only as it goes. */
  toRead?: number;
  /** Files linked unchanged from the previous backup (not read), when known. */
  linked?: number;
}

export interface SizeEstimate {
  system: string;
  source: string;
  exists: boolean;
  files: number;
  bytes: number;
  /** Where the backup would go: backups/<system>_<stamp>/ */
  destination: string;
  /** Of `files`/`bytes`, what would be hard-linked from the previous backup (no new space). */
  unchangedFiles?: number;
  unchangedBytes?: number;
  /** Entries that would not be kept (sockets, FIFOs...). */
  skipped?: number;
}

export type VerifyProblemKind =
  | 'missing'
  | 'extra'
  | 'changed'
  | 'mode'
  | 'type'
  | 'target'
  | 'size'
  | 'manifest';

export interface VerifyProblem {
  path: string;
  kind: VerifyProblemKind;
  detail: string;
}

export interface VerifyReport {
  id: string;
  ok: boolean;
  deep: boolean;
  files: number;
  bytes: number;
  problems: VerifyProblem[];
}

export interface RestoreOptions {
  ws: Workspace;
  id: string;
  /**
   * Where to restore: the plan's path of the backup's system, or the operator's --to. Never
   * read from the backup (its manifest's `source` is informational); missing: exit 2.
   */
  to?: string | undefined;
  /** Snapshot the current target as a backup before replacing it (default true). */
  snapshot?: boolean;
  phase?: number | null;
  runId?: string | null;
  clock?: Clock;
  signal?: AbortSignal;
}

export interface RestoreResult {
  id: string;
  target: string;
  /** The backup of the target taken just before (absent when the target did not exist). */
  snapshotId?: string;
  files: number;
  bytes: number;
  /** The manifest's `source` when it is not the target (reported, never followed). */
  sourceMismatch?: string;
  /** Paths of the old tree not carried over because the backup has a symlink on their way. */
  leftOut?: string[];
}
