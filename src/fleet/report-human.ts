import { formatDuration } from '../core/clock.js';
import type { Colors } from '../ui/output.js';
import type { FleetDryRun } from './dry-run.js';
import type { FleetGateReport } from './gate.js';
import type { FleetKpis } from './kpis.js';
import type { FleetRollbackResult } from './rollback.js';
import type { FleetPhaseResult } from './run-waves.js';
import type { FleetState, FleetWaveRecord, HostRun } from './schema.js';

/** What a person reads of the fleet commands; all text, no I/O. */

const outcomeWords: Record<HostRun['outcome'], string> = {
  applied: 'applied',
  'rolled-back': 'failed, rolled back on the host',
  blocked: 'blocked (nothing changed)',
  'needs-person': 'failed and its rollback failed: a person must look',
  unreachable: 'unreachable',
  error: 'could not run gnr-migrate',
  reverted: 'rolled back',
  passed: 'passed',
  failed: 'failed',
  skipped: 'already at the phase',
  'not-started': 'not started',
};

export function outcomeMark(c: Colors, outcome: HostRun['outcome']): string {
  if (outcome === 'applied' || outcome === 'reverted' || outcome === 'passed') return c.green('✓');
  if (outcome === 'skipped' || outcome === 'not-started') return c.dim('·');
  if (outcome === 'needs-person') return c.red('✗✗');
  return c.red('✗');
}

export function hostLine(c: Colors, host: string, run: HostRun): string {
  const time = run.durationMs !== undefined ? c.dim(` (${formatDuration(run.durationMs)})`) : '';
  const detail = run.outcome === 'applied' || run.outcome === 'reverted' ? '' : `: ${run.message}`;
  const failure = run.failure ? `\n      failure record: ${run.failure}` : '';
  return `  ${outcomeMark(c, run.outcome)} ${host} ${outcomeWords[run.outcome]}${time}${detail}${failure}`;
}

export function waveHeader(
  c: Colors,
  wave: FleetWaveRecord,
  index: number,
  count: number,
  toRun: string[],
): string {
  const skipped = wave.hosts.length - toRun.length;
  return `${c.bold(`wave ${index + 1}/${count} ${wave.name}`)} (${wave.hosts.length} host${wave.hosts.length === 1 ? '' : 's'}, budget ${wave.maxFailPercentage}%)${skipped ? c.dim(` · ${skipped} already at the phase`) : ''}`;
}

export function waveEnd(c: Colors, wave: FleetWaveRecord): string | undefined {
  if (wave.status === 'stopped') return `  ${c.red('■')} wave ${wave.name} stopped: ${wave.reason}`;
  if (wave.status === 'interrupted') return `  ${c.red('■')} wave ${wave.name} interrupted`;
  return undefined;
}

export function phaseSummary(c: Colors, r: FleetPhaseResult): string[] {
  const lines = [''];
  const list = (hs: string[]) => (hs.length ? hs.join(', ') : 'none');
  const mark = r.exitCode === 0 ? c.green('✓') : c.red('✗');
  const head =
    r.exitCode === 0
      ? `fleet phase ${r.run.phase}: every wave done`
      : r.interrupted
        ? `fleet phase ${r.run.phase} interrupted`
        : r.stoppedAt
          ? `fleet phase ${r.run.phase} stopped at wave ${r.stoppedAt}: its failure budget was exceeded`
          : `fleet phase ${r.run.phase}: done, with failures within the budget`;
  lines.push(`${mark} ${head}`);
  lines.push(`  applied:        ${list(r.applied)}`);
  if (r.skipped.length) lines.push(`  already there:  ${list(r.skipped)}`);
  const byOutcome = (o: HostRun['outcome']) => r.failed.filter((f) => f.outcome === o).map((f) => f.host);
  if (byOutcome('rolled-back').length)
    lines.push(`  failed, rolled back on the host: ${list(byOutcome('rolled-back'))}`);
  if (byOutcome('needs-person').length)
    lines.push(`  failed, rollback failed (a person must look): ${list(byOutcome('needs-person'))}`);
  const other = r.failed
    .filter((f) => !['rolled-back', 'needs-person'].includes(f.outcome))
    .map((f) => f.host);
  if (other.length) lines.push(`  blocked or unreachable (nothing changed): ${list(other)}`);
  lines.push(`  never started:  ${list(r.notStarted)}`);
  lines.push(c.dim(`  run ${r.run.id} · Ansible output and results in ${r.run.dir}/`));
  if (r.stoppedAt) {
    lines.push('');
    lines.push('Mass failure (seed §7.2): bring the wave back, find the common cause, restart smaller:');
    lines.push(`  gnr-migrate fleet rollback --wave ${r.stoppedAt}`);
    lines.push('  gnr-migrate fleet resume            # continues from the first unfinished wave');
  }
  return lines;
}

export function dryRunLines(c: Colors, d: FleetDryRun): string[] {
  const lines = [
    `${c.bold(`Fleet dry run of phase ${d.phase}`)}: ${d.counts.hosts} hosts in ${d.waves.length} waves (${d.source === 'plan' ? 'waves from the plan' : d.source === '--waves' ? 'waves from --waves' : 'default waves: 1, 25%, 100%'}; ${d.inventory})`,
  ];
  for (const [i, w] of d.waves.entries()) {
    const bad = w.hosts.filter((h) => h.state !== 'ready').length;
    lines.push(
      `${c.bold(`wave ${i + 1} ${w.name}`)}: ${w.hosts.length} hosts, budget ${w.maxFailPercentage}%${bad ? `, ${bad} blocked` : ''}${w.wouldStop ? c.red(' — would stop here') : ''}`,
    );
    const ready = w.hosts.filter((h) => h.state === 'ready').map((h) => h.host);
    if (ready.length) lines.push(`  ${c.green('✓')} ready: ${ready.join(', ')}`);
    for (const h of w.hosts.filter((x) => x.state !== 'ready')) {
      lines.push(
        `  ${c.red('✗')} ${h.host} ${h.state}${h.current !== undefined ? c.dim(` (at phase ${h.current ?? 'none'})`) : ''}`,
      );
      for (const why of (h.blockedBy.length ? h.blockedBy : [h.message]).slice(0, 6))
        lines.push(`      ${why}`);
    }
  }
  if (d.outside.length) lines.push(c.yellow(`in no wave (left alone): ${d.outside.join(', ')}`));
  lines.push('');
  lines.push(
    d.wouldProceed
      ? `${c.green('✓')} every host would proceed (${d.counts.ready}/${d.counts.hosts}) · ${formatDuration(d.durationMs)}`
      : `${c.red('✗')} ${d.counts.hosts - d.counts.ready} of ${d.counts.hosts} hosts would not proceed${d.firstStop ? `; the run would stop at wave ${d.firstStop}` : ''} · ${formatDuration(d.durationMs)}`,
  );
  return lines;
}

export function rollbackLines(c: Colors, r: FleetRollbackResult): string[] {
  if (r.selected.length === 0)
    return [`${c.green('✓')} no host to roll back: none of them is at phase ${r.of?.phase ?? '?'} any more`];
  const lines = [''];
  lines.push(
    r.exitCode === 0
      ? `${c.green('✓')} rolled back ${r.reverted.length} host${r.reverted.length === 1 ? '' : 's'}: ${r.reverted.join(', ')}`
      : `${c.red('✗')} rolled back ${r.reverted.length} of ${r.selected.length}; failed: ${r.failed.map((f) => `${f.host} (${f.message})`).join('; ')}`,
  );
  if (r.run) lines.push(c.dim(`  run ${r.run.id} · ${r.run.dir}/`));
  return lines;
}

export function gateLines(c: Colors, g: FleetGateReport): string[] {
  const lines = g.hosts.map(
    (h) =>
      `  ${outcomeMark(c, h.outcome)} ${h.host} ${h.outcome}${h.outcome === 'passed' ? '' : `: ${h.message}`}`,
  );
  const passed = g.hosts.filter((h) => h.outcome === 'passed').length;
  lines.push('');
  lines.push(
    g.ok
      ? `${c.green('✓')} fleet gate passed on ${passed} host${passed === 1 ? '' : 's'}`
      : `${c.red('✗')} fleet gate failed: ${g.hosts.length - passed} of ${g.hosts.length} hosts did not pass`,
  );
  return lines;
}

const matrixMarks: Partial<Record<HostRun['outcome'], string>> = {
  applied: '●',
  'rolled-back': '↺',
  blocked: '⊘',
  'needs-person': '✗✗',
  unreachable: '?',
  error: '!',
  reverted: '↩',
  skipped: '●',
};

/** `fleet status`: hosts × phases, the waves of the last run, the KPIs and the score. */
export function statusLines(c: Colors, state: FleetState, kpis: FleetKpis): string[] {
  const names = Object.keys(state.hosts);
  if (names.length === 0) return ['No fleet run yet: run `gnr-migrate fleet phase <id> --dry-run` first.'];
  const phases = [
    ...new Set(state.runs.filter((r) => r.kind === 'phase').map((r) => r.phase as number)),
  ].sort((a, b) => a - b);
  const width = Math.max(4, ...names.map((n) => n.length));
  const waveWidth = Math.max(4, ...names.map((n) => (state.hosts[n]?.wave ?? '').length));
  const lines = [
    c.bold(
      `${'host'.padEnd(width)}  ${'wave'.padEnd(waveWidth)}  ${phases.map((p) => `ph ${p}`.padEnd(5)).join(' ')}  now   last run`,
    ),
  ];
  for (const n of names) {
    const h = state.hosts[n];
    if (!h) continue;
    const cells = phases.map((p) => {
      const last = [...h.runs].reverse().find((r) => r.phase === p);
      return (last ? (matrixMarks[last.outcome] ?? '·') : '·').padEnd(5);
    });
    const last = h.runs[h.runs.length - 1];
    const lastText = last
      ? `${last.kind} ${last.phase ?? ''}: ${last.outcome}${last.endedAt ? c.dim(` ${last.endedAt}`) : ''}`
      : c.dim('never run');
    lines.push(
      `${n.padEnd(width)}  ${(h.wave ?? '').padEnd(waveWidth)}  ${cells.join(' ')}  ${String(h.phase ?? '-').padEnd(4)}  ${lastText}`,
    );
  }
  lines.push(
    c.dim(
      '● applied  ↺ failed, rolled back on the host  ↩ rolled back by the fleet  ⊘ blocked  ? unreachable  ✗✗ needs a person',
    ),
  );
  const last = [...state.runs].reverse().find((r) => r.kind === 'phase');
  if (last) {
    lines.push('');
    lines.push(c.bold(`Waves of ${last.id} (phase ${last.phase}, ${last.status})`));
    for (const w of last.waves) {
      lines.push(
        `  ${w.name.padEnd(14)} ${w.status.padEnd(11)} ${w.hosts.length} hosts · applied ${w.applied.length} · failed ${w.failed.length} · budget ${w.maxFailPercentage}%${w.reason ? ` · ${w.reason}` : ''}`,
      );
    }
  }
  lines.push('');
  lines.push(c.bold(`KPIs (phase ${kpis.phase ?? '-'})`));
  const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`);
  lines.push(`  systems migrated      ${kpis.systemsMigrated}/${kpis.systemsTotal}`);
  lines.push(`  migration rate        ${kpis.migrationRatePerDay} systems/day`);
  lines.push(`  validation rate       ${pct(kpis.validationSuccessRate)}   (target ≥ 80 %)`);
  lines.push(`  rollbacks             ${kpis.rollbackCount}   (target < 5)`);
  lines.push(`  failed migrations     ${kpis.failedMigrations}   (target 0)`);
  lines.push(`  blocked               ${kpis.blocked}`);
  lines.push(
    `  avg migration time    ${kpis.avgMigrationTimeSeconds === null ? 'n/a' : formatDuration(kpis.avgMigrationTimeSeconds * 1000)}   (target < 2 h)`,
  );
  lines.push(
    `  downtime              ${kpis.totalDowntimeMinutes} min   (target 0; time of failed, rolled-back runs)`,
  );
  lines.push(
    `  success score         ${c.bold(kpis.successScore.toFixed(3))}   (seed §6.1: mean of ${kpis.scoreTerms.join(', ')})`,
  );
  return lines;
}
