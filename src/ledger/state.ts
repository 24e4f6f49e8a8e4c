import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomicSync } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import { redactDeep } from '../core/redact.js';
import type { Workspace } from '../core/workspace.js';
import { emptyState, type Run, type State, stateSchema } from './schema.js';

/**
 * Reads the ledger. Missing: an empty ledger. Unreadable, not JSON, or not the schema: exit 2
 * with the reason, and the file is left exactly as it is (it may be the only record of what
 * was done).
 */
export async function readState(ws: Workspace): Promise<State> {
  let text: string;
  try {
    text = await readFile(ws.stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new InputError(`${ws.stateFile}: cannot read the ledger (${(err as NodeJS.ErrnoException).code})`, {
      cause: err,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(
      `${ws.stateFile}: the ledger is corrupt (${(err as Error).message}). It was not changed. ` +
        'Restore it from a copy, or move it aside to start a new ledger (the history in it is then lost).',
      { cause: err },
    );
  }
  const parsed = stateSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first
      ? first.path
          .map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`))
          .join('')
          .replace(/^\./, '')
      : '';
    throw new InputError(
      `${ws.stateFile}: the ledger does not match its schema at ${where || '(top)'}: ${first?.message}. It was not changed. ` +
        'Restore it from a copy, or move it aside to start a new ledger.',
    );
  }
  return parsed.data;
}

/** Atomic write (temp, fsync, rename): a kill leaves the old or the new ledger, never half. */
export async function writeState(ws: Workspace, state: State, durable = true): Promise<void> {
  await mkdir(ws.migrationDir, { recursive: true });
  state.updatedAt = new Date().toISOString();
  writeFileAtomicSync(ws.stateFile, `${JSON.stringify(redactDeep(state), null, 2)}\n`, 0o644, durable);
}

/**
 * The ledger as one writer sees it: every change is written through at once, so a run killed
 * at any moment leaves an exact record of what it had started and finished.
 */
export class Ledger {
  private constructor(
    readonly ws: Workspace,
    private state: State,
  ) {}

  static async open(ws: Workspace): Promise<Ledger> {
    return new Ledger(ws, await readState(ws));
  }

  get snapshot(): Readonly<State> {
    return this.state;
  }

  /**
   * `durable: false` skips the folder fsync after the rename (the file itself is still fsynced,
   * so the ledger is whole either way): for facts that only matter while the machine stays up.
   */
  async update(mutate: (state: State) => void, durable = true): Promise<void> {
    mutate(this.state);
    await writeState(this.ws, this.state, durable);
  }

  run(id: string): Run | undefined {
    return this.state.runs.find((r) => r.id === id);
  }

  async updateRun(id: string, mutate: (run: Run, state: State) => void, durable = true): Promise<void> {
    await this.update((state) => {
      const run = state.runs.find((r) => r.id === id);
      if (!run) throw new Error(`run ${id} is not in the ledger`);
      mutate(run, state);
    }, durable);
  }
}

export function lastRun(state: State): Run | undefined {
  return state.runs[state.runs.length - 1];
}
