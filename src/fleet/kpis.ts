import type { FleetState, HostRun } from './schema.js';

/**
 * The seed's migration KPIs (§6.1) and success score, computed from the fleet ledger for one
 * phase. What the seed measures that gnr-migrate cannot see is said plainly:
 * - throughput is not measured by the tool: `avgThroughputImprovement` is null and the score
 *   uses the seed's default of 0 (a neutral 1.0 term);
 * - downtime is not probed: `totalDowntimeMinutes` counts the time of the runs that failed
 *   and were rolled back (the service was changed and then restored), 0 when none failed.
 */

export interface FleetKpis {
  phase: number | null;
  systemsMigrated: number;
  systemsTotal: number;
  /** systems per day, over the time from the first attempt to the last success (≥ 1 minute). */
  migrationRatePerDay: number;
  /** applied ÷ runs that went through their steps and verify (applied + failed); null: none yet. */
  validationSuccessRate: number | null;
  rollbackCount: number;
  failedMigrations: number;
  /** Hosts whose checklist (or order rules, a lock, SSH) stopped them before any change. */
  blocked: number;
  avgMigrationTimeHours: number | null;
  avgMigrationTimeSeconds: number | null;
  totalDowntimeMinutes: number;
  avgThroughputImprovement: number | null;
  successScore: number;
  /** The six terms of the score, in the seed's order. */
  scoreTerms: number[];
  targets: Record<string, string>;
}

const dayMs = 86_400_000;

export function fleetKpis(state: FleetState, phase?: number | null): FleetKpis {
  const lastPhaseRun = [...state.runs].reverse().find((r) => r.kind === 'phase');
  const p = phase ?? lastPhaseRun?.phase ?? null;
  const hosts = Object.values(state.hosts);
  const runs = hosts.flatMap((h) => h.runs).filter((r) => r.phase === p);
  const attempts = runs.filter((r) => r.kind === 'phase');
  const applied = attempts.filter((r) => r.outcome === 'applied');
  const failed = attempts.filter((r) => r.outcome === 'rolled-back' || r.outcome === 'needs-person');
  const blocked = attempts.filter((r) => ['blocked', 'unreachable', 'error'].includes(r.outcome));
  const rollbacks =
    attempts.filter((r) => r.autoRollback).length +
    runs.filter((r) => r.kind === 'rollback' && r.outcome === 'reverted').length;

  const migrated = p === null ? 0 : hosts.filter((h) => h.phase === p).length;
  const total = hosts.length;
  const first = minTime(attempts.map(startOf));
  const last = maxTime(applied.map(endOf));
  const spanMs = first !== undefined && last !== undefined ? Math.max(60_000, last - first) : undefined;
  const rate = spanMs ? migrated / (spanMs / dayMs) : 0;
  const reachedVerify = applied.length + failed.length;
  const validation = reachedVerify > 0 ? applied.length / reachedVerify : null;
  const durations = applied.map((r) => r.durationMs).filter((d): d is number => d !== undefined);
  const avgMs = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : null;
  const downtimeMin = failed.reduce((sum, r) => sum + (r.durationMs ?? 0), 0) / 60_000;

  // The seed's calculate_success_score, term by term.
  const terms = [
    total > 0 ? migrated / total : 0,
    validation ?? 0,
    1 - rollbacks / Math.max(migrated, 1),
    failed.length === 0 ? 1 : 0.5,
    Math.min(1, Math.max(0, 0 + 1)),
    downtimeMin === 0 ? 1 : 0.8,
  ];
  return {
    phase: p,
    systemsMigrated: migrated,
    systemsTotal: total,
    migrationRatePerDay: round(rate),
    validationSuccessRate: validation === null ? null : round(validation),
    rollbackCount: rollbacks,
    failedMigrations: failed.length,
    blocked: blocked.length,
    avgMigrationTimeHours: avgMs === null ? null : round(avgMs / 3_600_000, 6),
    avgMigrationTimeSeconds: avgMs === null ? null : round(avgMs / 1000),
    totalDowntimeMinutes: round(downtimeMin),
    avgThroughputImprovement: null,
    successScore: round(terms.reduce((a, b) => a + b, 0) / terms.length),
    scoreTerms: terms.map((t) => round(t)),
    targets: {
      validationSuccessRate: '≥ 0.8',
      rollbackCount: '< 5',
      failedMigrations: '0',
      avgMigrationTimeHours: '< 2',
      totalDowntimeMinutes: '0',
    },
  };
}

function startOf(r: HostRun): number | undefined {
  const t = r.startedAt ?? r.endedAt;
  return t ? Date.parse(t) : undefined;
}
function endOf(r: HostRun): number | undefined {
  return r.endedAt ? Date.parse(r.endedAt) : undefined;
}
function minTime(ts: (number | undefined)[]): number | undefined {
  const v = ts.filter((t): t is number => t !== undefined && !Number.isNaN(t));
  return v.length ? Math.min(...v) : undefined;
}
function maxTime(ts: (number | undefined)[]): number | undefined {
  const v = ts.filter((t): t is number => t !== undefined && !Number.isNaN(t));
  return v.length ? Math.max(...v) : undefined;
}
function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
