import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What the playbook brought back from one host: `<results>/<host>/result.json` (the command's
 * exit code, output and times, and the host's `status --json`), `error.json` when the agent
 * could not be installed or run, `failure.json` and `runbook.md` when the host wrote them.
 */

const resultFileSchema = z.object({
  rc: z.number().nullable(),
  start: z.string().optional(),
  end: z.string().optional(),
  delta: z.string().optional(),
  stdout: z.string(),
  stderr: z.string().optional(),
  status: z.string().optional(),
});

const errorFileSchema = z.object({ task: z.string().optional(), error: z.unknown() });

export interface HostResult {
  host: string;
  /** The command ran on the host (its exit code came back). */
  ran: boolean;
  exitCode: number | null;
  /** The command's one JSON document. */
  doc?: Record<string, unknown>;
  stderrTail: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  /** The host's current phase after the command, from its ledger; undefined: not asked. */
  current?: number | null;
  /** Why the command never ran: install failed, a task failed, unreachable. */
  error?: string;
  failureFile?: string;
  runbookFile?: string;
}

export async function readHostResult(resultsDir: string, host: string): Promise<HostResult> {
  const dir = join(resultsDir, host);
  const base: HostResult = { host, ran: false, exitCode: null, stderrTail: '' };
  const failureFile = join(dir, 'failure.json');
  const runbookFile = join(dir, 'runbook.md');
  if (existsSync(failureFile)) base.failureFile = failureFile;
  if (existsSync(runbookFile)) base.runbookFile = runbookFile;

  const errorRaw = await readJson(join(dir, 'error.json'));
  if (errorRaw !== undefined) {
    const e = errorFileSchema.safeParse(errorRaw);
    const what = e.success ? `${e.data.task ? `${e.data.task}: ` : ''}${stringify(e.data.error)}` : 'failed';
    base.error = what;
  }
  const raw = await readJson(join(dir, 'result.json'));
  if (raw === undefined) return base;
  const parsed = resultFileSchema.safeParse(raw);
  if (!parsed.success)
    return { ...base, error: base.error ?? `${dir}/result.json: not a result the playbook writes` };
  const r = parsed.data;
  const doc = parseDoc(r.stdout);
  const current = r.status ? parseCurrent(r.status) : undefined;
  const started = ansibleTime(r.start);
  const ended = ansibleTime(r.end);
  return {
    ...base,
    ran: r.rc !== null,
    exitCode: r.rc,
    ...(doc ? { doc } : {}),
    stderrTail: (r.stderr ?? '').split('\n').slice(-20).join('\n'),
    ...(started ? { startedAt: started } : {}),
    ...(ended ? { endedAt: ended } : {}),
    ...(r.delta ? { durationMs: deltaMs(r.delta) } : {}),
    ...(current !== undefined ? { current } : {}),
  };
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function parseDoc(stdout: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(stdout) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseCurrent(status: string): number | null | undefined {
  const doc = parseDoc(status);
  if (!doc || !('current' in doc)) return undefined;
  return typeof doc.current === 'number' ? doc.current : null;
}

function stringify(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Ansible's command module prints `2026-12-02 02:30:01.111920`, the host's local time. */
function ansibleTime(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const d = new Date(text.replace(' ', 'T').replace(/(\.\d{3})\d+$/, '$1'));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** `0:00:04.342644` → 4342.644 ms. */
export function deltaMs(delta: string): number {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(delta.trim());
  if (!m) return 0;
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000;
}
