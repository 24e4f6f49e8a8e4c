import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecap } from '../../src/fleet/engine.js';
import { judgeDryRun, judgePhase, judgeRollback } from '../../src/fleet/judge.js';
import { deltaMs, type HostResult, readHostResult } from '../../src/fleet/results.js';
import { tempDir } from '../helpers/tmp.js';

const ran = (exitCode: number, doc: Record<string, unknown> = {}, current?: number | null): HostResult => ({
  host: 'h',
  ran: true,
  exitCode,
  doc,
  stderrTail: '',
  ...(current !== undefined ? { current } : {}),
});

describe('what a host result means', () => {
  it('phase: by exit code, as DESIGN §5 defines them', () => {
    expect(judgePhase(ran(0, { runId: 'r1', message: 'ok' }), 3)).toMatchObject({
      outcome: 'applied',
      hostRunId: 'r1',
    });
    expect(judgePhase(ran(1, { status: 'rolled-back', message: 'm' }), 3)).toMatchObject({
      outcome: 'rolled-back',
      autoRollback: true,
    });
    expect(judgePhase(ran(1, { status: 'failed', message: 'checklist' }), 3).outcome).toBe('blocked');
    expect(
      judgePhase(ran(2, { ok: false, error: { message: 'phase 3 is already applied' } }, 3), 3),
    ).toMatchObject({
      outcome: 'skipped',
    });
    expect(judgePhase(ran(2, { ok: false, error: { message: 'apply 0 first' } }, null), 3)).toMatchObject({
      outcome: 'blocked',
      message: 'apply 0 first',
    });
    expect(judgePhase(ran(3, { message: 'restore failed' }), 3).outcome).toBe('needs-person');
    expect(judgePhase(ran(4), 3).outcome).toBe('blocked');
    expect(
      judgePhase({ host: 'h', ran: false, exitCode: null, stderrTail: '' }, 3, {
        ok: 0,
        changed: 0,
        unreachable: 1,
        failed: 0,
        rescued: 0,
      }).outcome,
    ).toBe('unreachable');
  });

  it('rollback and dry-run', () => {
    expect(judgeRollback(ran(0, { rolledBack: [{ phase: 3, runId: 'rb' }] }))).toMatchObject({
      outcome: 'reverted',
      hostRunId: 'rb',
    });
    expect(judgeRollback(ran(3, { ok: false, error: { message: 'backup damaged' } })).outcome).toBe(
      'needs-person',
    );
    expect(judgeDryRun(ran(1, { current: 0, blockedBy: ['tcp 127.0.0.1:40404: refused'] }))).toMatchObject({
      state: 'blocked',
      current: 0,
      blockedBy: ['tcp 127.0.0.1:40404: refused'],
    });
  });

  it('reads what the playbook brings back, and the PLAY RECAP', async () => {
    const dir = tempDir('gnrm-results-');
    mkdirSync(join(dir, 'h1'));
    writeFileSync(
      join(dir, 'h1', 'result.json'),
      JSON.stringify({
        rc: 1,
        start: '2026-12-02 10:00:00.250000',
        end: '2026-12-02 10:00:04.500000',
        delta: '0:00:04.250000',
        stdout: '{"status": "rolled-back", "message": "m"}',
        stderr: 'a\nb',
        status: '{"current": 0}',
      }),
    );
    writeFileSync(join(dir, 'h1', 'failure.json'), '{}');
    const r = await readHostResult(dir, 'h1');
    expect(r).toMatchObject({
      ran: true,
      exitCode: 1,
      current: 0,
      durationMs: 4250,
      doc: { status: 'rolled-back' },
    });
    expect(r.failureFile).toBe(join(dir, 'h1', 'failure.json'));
    expect((await readHostResult(dir, 'h2')).ran).toBe(false);
    expect(deltaMs('1:02:03.5')).toBe(3_723_500);
    const recap = parseRecap(
      'TASK [x]\nok: [h1]\n\nPLAY RECAP *****\nh1                         : ok=7    changed=4    unreachable=0    failed=1    skipped=4    rescued=0    ignored=0   \nh2 : ok=0 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0\n',
    );
    expect(recap).toEqual({
      h1: { ok: 7, changed: 4, unreachable: 0, failed: 1, rescued: 0 },
      h2: { ok: 0, changed: 0, unreachable: 1, failed: 0, rescued: 0 },
    });
  });
});
