import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetEngine, PlaybookOutcome, PlaybookRequest } from '../../src/fleet/engine.js';
import type { FleetContext } from '../../src/fleet/hosts-run.js';
import { parseInventoryList } from '../../src/fleet/inventory.js';

/** What one fake host answers to one command. */
export interface FakeAnswer {
  rc: number | null;
  doc?: Record<string, unknown>;
  /** Its phase after the command (status --json). */
  current?: number | null;
  /** The agent could not run: written as error.json. */
  error?: string;
}

export type FakeHost = (args: string[], host: string) => FakeAnswer;

/**
 * An engine that plays Ansible: for each host of the request it writes the files the shipped
 * playbook brings back, as the host's behaviour says. Calls are kept for assertions.
 */
export class FakeEngine implements FleetEngine {
  readonly calls: PlaybookRequest[] = [];
  constructor(
    private readonly listed: unknown,
    private readonly behave: FakeHost,
  ) {}

  async listInventory(): Promise<unknown> {
    return this.listed;
  }

  async runPlaybook(req: PlaybookRequest): Promise<PlaybookOutcome> {
    this.calls.push(req);
    const recap: PlaybookOutcome['recap'] = {};
    for (const host of req.hosts) {
      const dir = join(req.extraVars.gnr_migrate_results, host);
      mkdirSync(dir, { recursive: true });
      const a = this.behave(req.extraVars.gnr_migrate_args, host);
      if (a.error !== undefined) {
        writeFileSync(join(dir, 'error.json'), JSON.stringify({ task: 'install', error: a.error }));
        recap[host] = { ok: 1, changed: 0, unreachable: 0, failed: 1, rescued: 0 };
        continue;
      }
      if (a.rc === null) {
        recap[host] = { ok: 0, changed: 0, unreachable: 1, failed: 0, rescued: 0 };
        continue;
      }
      writeFileSync(
        join(dir, 'result.json'),
        JSON.stringify({
          rc: a.rc,
          start: '2026-12-02 10:00:00.000000',
          end: '2026-12-02 10:00:02.500000',
          delta: '0:00:02.500000',
          stdout: JSON.stringify(a.doc ?? {}),
          stderr: '',
          status: a.current !== undefined ? JSON.stringify({ current: a.current }) : '',
        }),
      );
      if (a.doc?.failure) writeFileSync(join(dir, 'failure.json'), '{}');
      recap[host] = { ok: 5, changed: 1, unreachable: 0, failed: a.rc === 0 ? 0 : 1, rescued: 0 };
    }
    return {
      exitCode: Object.values(recap).some((r) => r.failed || r.unreachable) ? 2 : 0,
      recap,
      durationMs: 1,
      interrupted: false,
    };
  }
}

/** An inventory as `ansible-inventory --list` prints it: groups of hosts, each with a workspace. */
export function listedInventory(groups: Record<string, string[]>): Record<string, unknown> {
  const hostvars: Record<string, Record<string, unknown>> = {};
  const doc: Record<string, unknown> = {};
  for (const [g, hosts] of Object.entries(groups)) {
    doc[g] = { hosts };
    for (const h of hosts) hostvars[h] = { gnr_migrate_workspace: `/srv/${h}` };
  }
  doc.all = { children: ['ungrouped', ...Object.keys(groups)] };
  doc._meta = { hostvars };
  return doc;
}

export function fakeContext(
  engine: FakeEngine,
  listed: unknown,
  now = () => new Date('2026-12-02T10:00:00Z'),
): FleetContext {
  return {
    engine,
    inventory: parseInventoryList('/fleet/inventory.yaml', listed),
    playbook: '/pkg/migration/fleet/playbook.yaml',
    version: '0.1.0',
    clock: { now },
  };
}
