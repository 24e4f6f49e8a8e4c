/**
 * What the controller needs from the engine that reaches the hosts. The real one is Ansible
 * (`ansible-engine.ts`); unit tests pass a fake that writes the per-host result files the
 * playbook would bring back.
 */

export interface PlaybookRequest {
  inventory: string;
  playbook: string;
  /** Exactly these hosts (`--limit`). */
  hosts: string[];
  /** Passed as `-e @file`: gnr_migrate_args, gnr_migrate_results, the tarball, the budget. */
  extraVars: PlaybookVars;
  forks?: number;
  /** Ansible's whole output goes here. */
  logFile: string;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

export interface PlaybookVars {
  /** The gnr-migrate command line each host runs, after the program name. */
  gnr_migrate_args: string[];
  /** The controller folder where each host's result lands, as `<dir>/<host>/result.json`. */
  gnr_migrate_results: string;
  gnr_migrate_version?: string;
  gnr_migrate_tarball?: string;
  gnr_migrate_max_fail_percentage?: number;
  /** Ask each host's `status --json` after the command (for its phase). */
  gnr_migrate_status_after?: boolean;
}

/** One host's line of Ansible's PLAY RECAP. */
export interface RecapLine {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  rescued: number;
}

export interface PlaybookOutcome {
  exitCode: number | null;
  recap: Record<string, RecapLine>;
  durationMs: number;
  interrupted: boolean;
  /** The engine could not run at all (not installed, bad playbook): the message. */
  error?: string;
}

export interface FleetEngine {
  /** The inventory as `ansible-inventory --list` prints it. */
  listInventory(file: string): Promise<unknown>;
  runPlaybook(req: PlaybookRequest): Promise<PlaybookOutcome>;
}

const recapLine =
  /^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)(?:\s+skipped=\d+)?(?:\s+rescued=(\d+))?/;

/** Reads the PLAY RECAP of ansible-playbook's default output. */
export function parseRecap(output: string): Record<string, RecapLine> {
  const recap: Record<string, RecapLine> = {};
  let inRecap = false;
  for (const line of output.split('\n')) {
    if (line.startsWith('PLAY RECAP')) {
      inRecap = true;
      continue;
    }
    if (!inRecap) continue;
    const m = recapLine.exec(line.trim());
    if (m) {
      recap[m[1] as string] = {
        ok: Number(m[2]),
        changed: Number(m[3]),
        unreachable: Number(m[4]),
        failed: Number(m[5]),
        rescued: Number(m[6] ?? 0),
      };
    }
  }
  return recap;
}
