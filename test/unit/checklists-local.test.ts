import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { askAcks, runChecklist } from '../../src/checklists/index.js';
import type { ChecklistContext } from '../../src/checklists/types.js';
import type { State } from '../../src/ledger/schema.js';
import { contextFor, planIn } from '../helpers/checklists.js';
import { tempDir } from '../helpers/tmp.js';

const yaml = (checks: string, extra = '') => `
version: 1
project: t
path: [0, 3]
systems:
  conf: { path: conf }
phases:
  - id: 0
    backup: [conf]
    checks:
${checks}
  - id: 3
    backup: [conf]
    checks:
${checks}
${extra}`;

async function runIn(dir: string, checks: string, overrides: Partial<ChecklistContext> = {}, phase = 0) {
  const plan = await planIn(dir, yaml(checks));
  const outcome = await runChecklist(
    plan.phases.find((p) => p.id === phase)!.checks,
    contextFor(dir, plan, phase, overrides),
    {
      concurrency: 4,
    },
  );
  return { outcome, by: Object.fromEntries(outcome.results.map((r) => [r.id, r])) };
}

describe('file checks', () => {
  it('exists, absent and contains (multiline), relative to the workspace', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'environment.xml'), '<gnr>\n  <gnrdaemon port="40404"/>\n</gnr>\n');
    const { by } = await runIn(
      dir,
      `
      - { id: env_xml, file: conf/environment.xml, contains: '^\\s*<gnrdaemon port="40404"' }
      - { id: nope, file: conf/missing.xml }
      - { id: gone, file: conf/missing.xml, expect: absent }
      - { id: there, file: conf, expect: absent }
      - { id: nomatch, file: conf/environment.xml, contains: "port=.8888" }
      - { id: folder, file: conf, contains: x }
`,
    );
    expect(by.env_xml?.status).toBe('pass');
    expect(by.nope?.status).toBe('fail');
    expect(by.nope?.reason).toBe(`file ${join(dir, 'conf/missing.xml')}: not found`);
    expect(by.gone?.status).toBe('pass');
    expect(by.there?.status).toBe('fail');
    expect(by.nomatch?.status).toBe('fail');
    expect(by.folder?.status).toBe('error');
  });
});

describe('env checks', () => {
  it('set, equals, matches, unset', async () => {
    const dir = tempDir();
    const processEnv = { GNR_ASGI_WORKERS: '0', GENRO_GNRFOLDER: '/etc/gnr', OTHER: 'x' };
    const { by } = await runIn(
      dir,
      `
      - { id: set, env: OTHER }
      - { id: notset, env: GNR_NOT_THERE }
      - { id: eq, env: GNR_ASGI_WORKERS, equals: "0" }
      - { id: neq, env: GNR_ASGI_WORKERS, equals: "4" }
      - { id: re, env: GENRO_GNRFOLDER, matches: "^/etc/" }
      - { id: unset_ok, env: GNR_NOT_THERE, unset: true }
      - { id: unset_bad, env: OTHER, unset: true }
`,
      { processEnv },
    );
    expect(by.set?.status).toBe('pass');
    expect(by.notset?.status).toBe('fail');
    expect(by.eq?.status).toBe('pass');
    expect(by.neq?.reason).toBe('env GNR_ASGI_WORKERS: is "0", expected "4"');
    expect(by.re?.status).toBe('pass');
    expect(by.unset_ok?.status).toBe('pass');
    expect(by.unset_bad?.status).toBe('fail');
  });
});

describe('severity warn', () => {
  it('reports a failure as warn and does not block', async () => {
    const dir = tempDir();
    const { outcome } = await runIn(dir, '      - { id: soft, file: nothing-here, severity: warn }');
    expect(outcome.results[0]?.status).toBe('warn');
    expect(outcome.results[0]?.blocking).toBe(false);
    expect(outcome.passed).toBe(true);
  });
});

describe('builtins', () => {
  const checks = `
      - { id: backup, builtin: backup_exists }
      - { id: runbook, builtin: rollback_plan }
      - { id: prev, builtin: previous_phase_applied }
      - { id: noint, builtin: no_interrupted_run }
`;

  it('before the run, backups and runbook are pending: what the run will create', async () => {
    const dir = tempDir();
    for (const mode of ['dry-run', 'check', 'apply'] as const) {
      const { by } = await runIn(dir, checks, { mode });
      expect(by.backup?.status).toBe('pending');
      expect(by.backup?.reason).toContain('will be created by the run: conf');
      expect(by.backup?.reason).toContain('does not exist');
      expect(by.runbook?.status).toBe('pending');
      expect(by.runbook?.reason).toBe('will be written by the run: migration/rollback/phase-0.md');
      expect(by.backup?.blocking).toBe(false);
    }
  });

  it('in confirm, they check this run’s backups and runbook', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'backups', 'conf_20261122-101500'), { recursive: true });
    writeFileSync(join(dir, 'backups', 'conf_20261122-101500', 'manifest.json'), '{}');
    mkdirSync(join(dir, 'migration', 'rollback'), { recursive: true });
    const runbookPath = join(dir, 'migration', 'rollback', 'phase-0.md');
    const missing = await runIn(dir, checks, {
      mode: 'confirm',
      runBackups: ['conf_20261122-101500'],
      runbookPath,
    });
    expect(missing.by.backup?.status).toBe('pass');
    expect(missing.by.runbook?.status).toBe('fail');
    writeFileSync(runbookPath, '# runbook');
    const ok = await runIn(dir, checks, {
      mode: 'confirm',
      runBackups: ['conf_20261122-101500'],
      runbookPath,
    });
    expect(ok.by.runbook?.status).toBe('pass');
    const none = await runIn(dir, checks, { mode: 'confirm', runBackups: [], runbookPath });
    expect(none.by.backup?.status).toBe('fail');
    expect(none.by.backup?.reason).toContain('no backup of conf');
  });

  it('in gate, they look at disk: the newest complete backup per restored system', async () => {
    const dir = tempDir();
    const gateNone = await runIn(dir, checks, { mode: 'gate' });
    expect(gateNone.by.backup?.status).toBe('fail');
    expect(gateNone.by.backup?.reason).toContain('gnr-migrate backup create conf');
    expect(gateNone.by.runbook?.status).toBe('fail');
    for (const id of ['conf_20261122-101500', 'conf_20261123-090000', 'conf_20261124-090000']) {
      mkdirSync(join(dir, 'backups', id), { recursive: true });
      // The newest has no manifest: an incomplete backup does not count.
      if (id !== 'conf_20261124-090000') writeFileSync(join(dir, 'backups', id, 'manifest.json'), '{}');
    }
    mkdirSync(join(dir, 'migration', 'rollback'), { recursive: true });
    writeFileSync(join(dir, 'migration', 'rollback', 'phase-0.md'), '# runbook');
    const gate = await runIn(dir, checks, { mode: 'gate' });
    expect(gate.by.backup?.status).toBe('pass');
    expect(gate.by.backup?.reason).toBe('latest backups: conf_20261123-090000');
    expect(gate.by.runbook?.status).toBe('pass');
  });

  it('previous_phase_applied follows the ledger, naming what to apply first', async () => {
    const dir = tempDir();
    const state = (current: number | null): State => ({ version: 1, current, planHash: null, runs: [] });
    expect((await runIn(dir, checks, { state: state(null) }, 0)).by.prev?.status).toBe('pass');
    const early = await runIn(dir, checks, { state: state(null) }, 3);
    expect(early.by.prev?.status).toBe('fail');
    expect(early.by.prev?.reason).toBe(
      'phase 3 needs phase 0 applied first (current: none) — run `gnr-migrate phase 0` first',
    );
    expect((await runIn(dir, checks, { state: state(0) }, 3)).by.prev?.status).toBe('pass');
    expect((await runIn(dir, checks, { state: state(3), mode: 'gate' }, 3)).by.prev?.status).toBe('pass');
    expect((await runIn(dir, checks, { state: state(3), mode: 'check' }, 3)).by.prev?.status).toBe('fail');
  });

  it('no_interrupted_run fails on a run left running by a dead process', async () => {
    const dir = tempDir();
    const state: State = {
      version: 1,
      current: null,
      planHash: null,
      runs: [
        {
          id: 'r1',
          kind: 'phase',
          phase: 0,
          from: null,
          to: 0,
          status: 'running',
          startedAt: '2026-11-22T10:15:00Z',
          host: 'h',
          user: 'u',
          pid: 999999,
          steps: [],
          backups: [],
          snapshots: [],
          acks: [],
        },
      ],
    };
    const { by } = await runIn(dir, checks, { state });
    expect(by.noint?.status).toBe('fail');
    expect(by.noint?.reason).toContain('`gnr-migrate phase 0 --resume`');
    expect((await runIn(dir, checks)).by.noint?.status).toBe('pass');
  });

  it('disk_space errors clearly when the backups cannot be sized, passes when nothing is backed up', async () => {
    const dir = tempDir();
    const plan = await planIn(
      dir,
      `
version: 1
project: t
path: [0]
phases:
  - id: 0
    checks: [{ id: disk, builtin: disk_space }]
`,
    );
    const outcome = await runChecklist(plan.phases[0]!.checks, contextFor(dir, plan, 0), { concurrency: 1 });
    expect(outcome.results[0]?.status).toBe('pass');
    expect(outcome.results[0]?.reason).toContain('backs up nothing');
  });

  it('git_clean: a clean repository passes, a change fails, no repository says so — and git status writes nothing', async () => {
    const dir = tempDir();
    const notRepo = await runIn(dir, '      - { id: git, builtin: git_clean }');
    expect(notRepo.by.git?.status).toBe('fail');
    expect(notRepo.by.git?.reason).toContain('is not a git repository');
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
        cwd: dir,
        stdio: 'ignore',
      });
    git('init', '-q');
    await planIn(dir, yaml('      - { id: git, builtin: git_clean }'));
    git('add', '-A');
    git('commit', '-qm', 'init');
    const clean = await runIn(dir, '      - { id: git, builtin: git_clean }');
    expect(clean.by.git?.status).toBe('pass');
    writeFileSync(join(dir, 'new.txt'), 'x');
    const dirty = await runIn(dir, '      - { id: git, builtin: git_clean }');
    expect(dirty.by.git?.status).toBe('fail');
    expect(dirty.by.git?.reason).toContain('?? new.txt');
  });
});

describe('ack checks', () => {
  const checks = '      - { id: team, ack: "Team notified?" }';

  it('--ack passes and records who and how', async () => {
    const dir = tempDir();
    const { by } = await runIn(dir, checks, { acks: new Set(['team']), mode: 'apply' });
    expect(by.team?.status).toBe('pass');
    expect(by.team?.ack?.via).toBe('flag');
    expect(by.team?.ack?.by).toBeTruthy();
  });

  it('is pending in dry-run and check without a terminal, and never asks in a dry-run', async () => {
    const dir = tempDir();
    let asked = 0;
    const prompt = async () => {
      asked++;
      return true;
    };
    const dry = await runIn(dir, checks, { mode: 'dry-run', prompt });
    expect(dry.by.team?.status).toBe('pending');
    expect(dry.by.team?.reason).toBe('needs --ack team or a terminal: "Team notified?"');
    expect(asked).toBe(0);
    expect((await runIn(dir, checks, { mode: 'check' })).by.team?.status).toBe('pending');
  });

  it('fails in apply without a flag or a terminal, telling to pass --ack', async () => {
    const dir = tempDir();
    const { by } = await runIn(dir, checks, { mode: 'apply' });
    expect(by.team?.status).toBe('fail');
    expect(by.team?.reason).toContain('pass --ack team');
  });

  it('asks on a terminal (via tty); a no fails', async () => {
    const dir = tempDir();
    const yes = await runIn(dir, checks, { mode: 'apply', prompt: async () => true });
    expect(yes.by.team?.ack?.via).toBe('tty');
    const no = await runIn(dir, checks, { mode: 'check', prompt: async () => false });
    expect(no.by.team?.status).toBe('fail');
  });

  it('askAcks collects answers up front, one question at a time', async () => {
    const dir = tempDir();
    const plan = await planIn(dir, yaml(`${checks}\n      - { id: window, ack: "Window agreed?" }`));
    const questions: string[] = [];
    const ctx = contextFor(dir, plan, 0, {
      mode: 'check',
      acks: new Set(['window']),
      prompt: async (q) => {
        questions.push(q);
        return true;
      },
    });
    const answers = await askAcks(plan.phases[0]!.checks, ctx);
    expect(questions).toEqual(['Team notified?']);
    const outcome = await runChecklist(
      plan.phases[0]!.checks,
      { ...ctx, answers, prompt: undefined },
      { concurrency: 2 },
    );
    expect(outcome.results.map((r) => r.ack?.via)).toEqual(['tty', 'flag']);
  });
});
