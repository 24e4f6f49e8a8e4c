import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { planRestoreTarget, resolveTarget, rsyncExcludeArgs } from '../backup/index.js';
import type { BackupInfo } from '../backup/types.js';
import { writeFileAtomic } from '../core/atomic.js';
import { formatBytes } from '../core/clock.js';
import { redact } from '../core/redact.js';
import type { Workspace } from '../core/workspace.js';
import type { StepRecord } from '../ledger/schema.js';
import {
  type Check,
  type Command,
  commandLine,
  findPhase,
  type Phase,
  type Plan,
  shellQuote,
} from '../plan/types.js';

/**
 * The rollback runbook of a phase (DESIGN §8), `migration/rollback/phase-<id>.md`. Written
 * before the steps run and rewritten when the run ends. Its manual part is plain shell that
 * works without gnr-migrate installed: a person can paste it line by line.
 */

export interface RunbookInput {
  ws: Workspace;
  plan: Plan;
  phase: Phase;
  runId: string;
  status: 'in progress' | 'succeeded' | 'failed' | 'rolled back' | 'interrupted';
  backups: BackupInfo[];
  /** Step records of the run, to mark which steps completed (and so need their undo). */
  steps?: StepRecord[];
  at: Date;
  /** Where this run's rollback returns (the run's starting phase after a `--force`). */
  rollbackTo?: number | null;
  /** `--env`/`--var` arguments the run was given, so the one-command rollback uses them too. */
  inputArgs?: string[];
}

export function runbookPath(ws: Workspace, phaseId: number): string {
  return join(ws.rollbackDir, `phase-${phaseId}.md`);
}

export async function writeRunbook(input: RunbookInput): Promise<string> {
  const path = runbookPath(input.ws, input.phase.id);
  await mkdir(input.ws.rollbackDir, { recursive: true });
  await writeFileAtomic(path, redact(renderRunbook(input)));
  return path;
}

export function renderRunbook(input: RunbookInput): string {
  const { plan, phase, ws } = input;
  const target = input.rollbackTo !== undefined ? input.rollbackTo : phase.rollback.to;
  const targetPhase = target === null ? undefined : findPhase(plan, target);
  const completed = new Set(
    (input.steps ?? []).filter((s) => s.stage === 'step' && s.status === 'succeeded').map((s) => s.id),
  );
  const L: string[] = [];
  const cli = ['gnr-migrate', '--cwd', ws.root, ...(input.inputArgs ?? [])].map(shellQuote).join(' ');

  L.push(`# Rollback runbook — phase ${phase.id}: ${phase.title}`, '');
  L.push(
    `Project \`${plan.project}\` · run \`${input.runId}\` · status **${input.status}** · written ${input.at.toISOString()}`,
  );
  L.push(
    `Rolls back to: ${target === null ? 'the state before the migration (no phase applied)' : `phase ${target}${targetPhase ? ` (${targetPhase.title})` : ''}`}.`,
    '',
  );

  L.push('## What this phase changes', '');
  if (phase.summary) L.push(phase.summary, '');
  if (phase.gnrdaemon || phase.pages)
    L.push(`gnrdaemon: **${phase.gnrdaemon ?? '—'}** · pages: **${phase.pages ?? '—'}**`, '');
  for (const s of phase.steps)
    L.push(`- \`${s.id}\` — ${s.title}${completed.has(s.id) ? ' *(completed in this run)*' : ''}`);
  if (phase.criteria.length) {
    L.push('', 'Success criteria:', '');
    for (const c of phase.criteria) L.push(`- ${c}`);
  }
  if (phase.rollback.notes) L.push('', `Rollback notes: ${phase.rollback.notes}`);
  L.push('');

  L.push('## Backups taken', '');
  if (input.backups.length === 0)
    L.push('None yet (the run had not reached its backups when this was written).');
  else {
    L.push('| system | backup id | path | files | bytes | manifest sha256 |', '|---|---|---|---|---|---|');
    for (const b of input.backups) {
      L.push(
        `| ${b.system} | \`${b.id}\` | \`${b.dir}\` | ${b.files} | ${formatBytes(b.bytes)} | \`${b.manifestHash.slice(0, 16)}…\` |`,
      );
    }
  }
  L.push('');

  L.push('## Roll back with one command', '');
  L.push(
    '```sh',
    `${cli} rollback --dry-run     # see exactly what it will do`,
    `${cli} rollback --reason "..."`,
    '```',
    '',
  );
  L.push(
    'It snapshots the systems first (so the rollback itself can be undone with `gnr-migrate backup restore`), runs the undo of each completed step newest first, the rollback steps, restores the backups after verifying them, and runs the verify checks of the target phase.',
    '',
  );

  L.push('## Manual rollback (when gnr-migrate is unavailable)', '');
  L.push(
    'Run these from a shell on the host, in order. Stop at the first line that fails and read its output.',
    '',
  );
  L.push('### 1. Undo the steps, newest first', '');
  const undoable = [...phase.steps].reverse().filter((s) => s.undo);
  if (undoable.length === 0)
    L.push('No step of this phase has an undo; the restore below reverts its files.');
  else {
    L.push('Only for the steps that completed (see the list above, or `migration/state.json`).', '', '```sh');
    for (const s of undoable)
      L.push(
        `# undo ${s.id}${completed.size && !completed.has(s.id) ? ' (did not complete in this run: skip)' : ''}`,
        shellLine(s.undo!),
      );
    L.push('```');
  }
  L.push('', '### 2. Rollback steps', '');
  if (phase.rollback.steps.length === 0) L.push('None.');
  else {
    L.push('```sh');
    for (const s of phase.rollback.steps) L.push(`# ${s.id}: ${s.title}`, shellLine(s));
    L.push('```');
  }
  L.push('', '### 3. Verify, then restore the backups', '');
  const restore = input.backups.filter((b) => phase.rollback.restore.includes(b.system));
  if (restore.length === 0) L.push('No backup to restore.');
  else {
    L.push('Check each backup against its manifest first (python3 is on every Genropy host):', '', '```sh');
    for (const b of restore) L.push(verifyLine(b));
    L.push(
      '```',
      '',
      'Then make each system exactly the backup (extra files removed; modes, times and links kept; `--checksum` compares content, not just size and time):',
      '',
      '```sh',
    );
    for (const b of restore) {
      const to = planRestoreTarget(plan.systems, b.system);
      L.push(
        ...restoreLines(
          b,
          to === undefined ? undefined : resolveTarget(ws, to),
          plan.systems[b.system]?.exclude ?? [],
        ),
      );
    }
    L.push('```');
  }
  L.push('', '### 4. Check the result', '');
  const verify = targetPhase?.verify ?? [];
  if (verify.length === 0)
    L.push(
      'The target has no verify checks; check the site by hand (`/` answers 200 with the site cookie; `/sys/heartbeat` is the task scheduler trigger, not a health probe).',
    );
  else L.push(`The verify checks of phase $target:`, '', '```sh');
  for (const c of verify) L.push(`# ${c.id}: ${c.title}`, checkLine(c));
  L.push('```');
  L.push('');

  L.push('## When to roll back', '');
  const t = plan.gate.triggers;
  const triggers = [
    t.validation_success_rate && `validation success rate below ${t.validation_success_rate.min}`,
    t.error_rate && `error rate above ${t.error_rate.max}`,
    t.latency_p95?.max_ratio_to_baseline !== undefined &&
      `p95 latency above ${t.latency_p95.max_ratio_to_baseline}× the baseline`,
    t.latency_p95?.max !== undefined && `p95 latency above ${t.latency_p95.max}`,
    t.throughput?.min_ratio_to_baseline !== undefined &&
      `throughput below ${t.throughput.min_ratio_to_baseline}× the baseline`,
    t.throughput?.min !== undefined && `throughput below ${t.throughput.min}`,
    t.health_check_failures && `more than ${t.health_check_failures.max} failed health checks`,
  ].filter(Boolean);
  if (triggers.length) {
    L.push('Automatic triggers (`gnr-migrate gate --metrics`):', '');
    for (const x of triggers) L.push(`- ${x}`);
    L.push('');
  }
  L.push('Manual triggers: a team decision, customer impact, any risk of data corruption.', '');

  L.push('## Contingency plans', '');
  L.push('**Data corruption detected**', '');
  L.push(
    '1. Stop the migration at once.',
    '2. Isolate the affected site.',
    '3. Restore from the backups above.',
    '4. Run data integrity checks.',
    '5. Find the root cause.',
    '6. Fix and re-test before continuing.',
    '',
  );
  L.push('**Performance degradation**', '');
  L.push(
    '1. Enable detailed profiling.',
    '2. Find the bottleneck.',
    '3. Scale the affected component.',
    '4. Optimise the hot path.',
    '5. Consider a partial rollback.',
    '6. Benchmark again before continuing.',
    '',
  );
  L.push('**Mass failure**', '');
  L.push(
    `1. Roll back at once: \`${cli} rollback --to ${plan.path[0]}\` (or the manual steps above, phase by phase).`,
    '2. Restore every system to its previous state.',
    '3. Debug together.',
    '4. Find the common failure pattern.',
    '5. Fix the root cause.',
    '6. Restart the migration in smaller steps.',
    '',
  );

  L.push('## The path', '', '```mermaid', 'flowchart LR');
  for (const id of plan.path) {
    const p = findPhase(plan, id);
    L.push(`  P${id}["${id} · ${(p?.title ?? '').replace(/"/g, "'")}"]`);
  }
  for (let i = 1; i < plan.path.length; i++) L.push(`  P${plan.path[i - 1]} --> P${plan.path[i]}`);
  if (target !== null) L.push(`  P${phase.id} -. rollback .-> P${target}`);
  L.push(`  style P${phase.id} fill:#f96,stroke:#333,stroke-width:2px`, '```', '');
  return `${L.join('\n')}\n`;
}

/** A command as one line a person can paste: cwd and env included. */
export function shellLine(cmd: Command): string {
  const env = Object.entries(cmd.env)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join(' ');
  const body = cmd.kind === 'run' ? commandLine(cmd) : `sh -c ${shellQuote(cmd.script)}`;
  const withEnv = env ? `env ${env} ${body}` : body;
  return cmd.cwd ? `(cd ${shellQuote(cmd.cwd)} && ${withEnv})` : withEnv;
}

function verifyLine(b: BackupInfo): string {
  const script =
    'import hashlib,json,os,sys\n' +
    'b=sys.argv[1]; m=json.load(open(os.path.join(b,"manifest.json"))); bad=0\n' +
    'for e in m["entries"]:\n' +
    '    p=os.path.join(b,"data",e["path"])\n' +
    '    if not os.path.lexists(p): print("MISSING",e["path"]); bad=1\n' +
    '    elif e["type"]=="file" and hashlib.sha256(open(p,"rb").read()).hexdigest()!=e["sha256"]: print("CHANGED",e["path"]); bad=1\n' +
    'print("OK" if not bad else "BACKUP DAMAGED: do not restore it"); sys.exit(bad)';
  return `python3 -c ${shellQuote(script)} ${shellQuote(b.dir)}`;
}

/**
 * `target`: where `gnr-migrate` would restore it (backup/restore.ts `planRestoreTarget`); a
 * system no longer in the plan gets no line a person could paste by mistake.
 */
function restoreLines(b: BackupInfo, target: string | undefined, exclude: string[]): string[] {
  if (target === undefined)
    return [
      `# ${b.system}: not a system of the plan any more; restore it with \`gnr-migrate backup restore ${b.id} --to PATH\``,
    ];
  if (b.sourceType === 'file') {
    const name = basename(b.source);
    const tmp = shellQuote(`${target}.restore-tmp`);
    return [
      `# ${b.system}`,
      `cp -p ${shellQuote(join(b.dir, 'data', name))} ${tmp} && mv ${tmp} ${shellQuote(target)}`,
    ];
  }
  // Excluded paths are not in the backup; --exclude keeps rsync from deleting them.
  // --checksum: rsync's quick check (size and mtime to the second) would skip a file that a
  // step rewrote to the same size within the second of the backup.
  // The one exclude dialect (backup/excludes.ts) says them as rsync must read them.
  const excludes = rsyncExcludeArgs(exclude)
    .map((a) => `${shellQuote(a)} `)
    .join('');
  return [
    `# ${b.system}`,
    `mkdir -p ${shellQuote(target)}`,
    `rsync -a --delete --checksum ${excludes}${shellQuote(`${join(b.dir, 'data')}/`)} ${shellQuote(`${target}/`)}`,
  ];
}

function checkLine(c: Check): string {
  switch (c.kind) {
    case 'run':
      return commandLine({
        kind: 'run',
        argv: c.argv,
        env: {},
        timeoutMs: 0,
        ...(c.cwd ? { cwd: c.cwd } : {}),
      });
    case 'shell':
      return `sh -c ${shellQuote(c.script)}`;
    case 'http':
      return `curl -sS -o /dev/null -w '%{http_code}\\n' ${shellQuote(c.url)}   # expect ${c.expect.status}`;
    case 'tcp':
      return c.expect === 'open'
        ? `nc -z ${c.host} ${c.port} && echo open`
        : `! nc -z ${c.host} ${c.port} && echo closed`;
    case 'unix':
      return `test -S ${shellQuote(c.path)} && echo present   # expect ${c.expect}`;
    case 'file':
      return c.expect === 'absent'
        ? `test ! -e ${shellQuote(c.path)}`
        : c.contains
          ? `grep -E ${shellQuote(c.contains)} ${shellQuote(c.path)}`
          : `test -e ${shellQuote(c.path)}`;
    case 'env':
      return c.unset ? `test -z "\${${c.name}+x}"` : `printenv ${c.name}`;
    case 'builtin':
      return `# ${c.name}: gnr-migrate builtin; check by hand`;
    case 'ack':
      return `# ask: ${c.question}`;
  }
}
