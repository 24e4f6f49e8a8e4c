import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { acquireLock, type HeldLock } from '../ledger/lock.js';
import { emptyFleetState, type FleetState, fleetStateSchema } from './schema.js';

/** Where the controller keeps its files: `migration/fleet/` of the controller's workspace. */
export interface FleetPaths {
  dir: string;
  stateFile: string;
  lockFile: string;
  /** One folder per fleet run: Ansible's output per wave and what came back from each host. */
  runsDir: string;
  defaultInventory: string;
  /** Where the tarball the hosts install is packed (a dry-run packs in a temp folder instead). */
  packDir: string;
}

export function fleetPaths(ws: Workspace): FleetPaths {
  const dir = join(ws.migrationDir, 'fleet');
  return {
    dir,
    stateFile: join(dir, 'state.json'),
    lockFile: join(dir, '.lock'),
    runsDir: join(dir, 'runs'),
    defaultInventory: join(dir, 'inventory.yaml'),
    packDir: join(dir, 'pack'),
  };
}

/** The fleet ledger; absent means no fleet run yet. A corrupt one is bad input, named. */
export async function readFleetState(paths: FleetPaths): Promise<FleetState> {
  let raw: string;
  try {
    raw = await readFile(paths.stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyFleetState();
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    throw new InputError(`${paths.stateFile}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = fleetStateSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InputError(
      `${paths.stateFile}: not a fleet ledger: ${first?.path.join('.') || '(root)'}: ${first?.message}`,
    );
  }
  return parsed.data;
}

/**
 * The ledger held for a run: locked like a host's ledger (the same lock code, on
 * `migration/fleet/.lock`, so two controllers never drive one fleet), every save atomic.
 */
export class FleetLedger {
  private constructor(
    readonly paths: FleetPaths,
    readonly state: FleetState,
    private readonly lock: HeldLock,
  ) {}

  static async open(
    ws: Workspace,
    command: string,
    onTakeover?: (note: string) => void,
  ): Promise<FleetLedger> {
    const paths = fleetPaths(ws);
    mkdirSync(paths.dir, { recursive: true });
    const lock = await acquireLock(
      { ...ws, lockFile: paths.lockFile },
      {
        command,
        onTakeover: (prev) =>
          onTakeover?.(`took over the fleet lock of pid ${prev.pid} (${prev.command}), which is gone`),
      },
    );
    try {
      const state = await readFleetState(paths);
      return new FleetLedger(paths, state, lock);
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Written whole (temp file, fsync, rename) after every change worth keeping. */
  save(): void {
    writeFileAtomicSync(this.paths.stateFile, `${JSON.stringify(this.state, null, 2)}\n`);
  }

  release(): Promise<void> {
    return this.lock.release();
  }
}
