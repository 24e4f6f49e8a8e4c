import { describe, expect, it } from 'vitest';
import { workspaceAt } from '../../src/core/workspace.js';
import type { Run } from '../../src/ledger/schema.js';
import { defaultBody, type RunEndEvent } from '../../src/notify/event.js';
import { eventsOf } from '../../src/notify/run-end.js';
import { createRunEndNotifier } from '../../src/notify/run-events.js';
import { describeUrl, notifyRunEnd } from '../../src/notify/send.js';
import type {
  Delivery,
  NotifyTransport,
  ProgramRequest,
  WebhookRequest,
} from '../../src/notify/transport.js';
import { ticking } from '../helpers/clock.js';
import { minimalPlan, planFromText, planIssues } from '../helpers/plan.js';

/** Records what would have been sent; answers with what the test says. */
class FakeTransport implements NotifyTransport {
  posts: WebhookRequest[] = [];
  runs: ProgramRequest[] = [];
  constructor(private readonly answer: Delivery = { status: 200 }) {}
  async post(req: WebhookRequest): Promise<Delivery> {
    this.posts.push(req);
    return this.answer;
  }
  async run(req: ProgramRequest): Promise<Delivery> {
    this.runs.push(req);
    return this.answer.status === 200 ? { status: 0 } : this.answer;
  }
}

const event: RunEndEvent = {
  events: ['failure', 'rollback'],
  project: 'acme',
  kind: 'phase',
  phase: 4,
  outcome: 'rolled-back',
  exit_code: 1,
  reason: 'step stop_daemon: exit 1',
  run_id: '20261122-101500-phase4-a1b2',
  failure_record: '/srv/deploy/migration/failures/acme_phase-4_20261122_101502.json',
  rollback: 'succeeded',
  rollback_run: '20261122-101502-rollback4-c3d4',
  runbook: '/srv/deploy/migration/rollback/phase-4.md',
  host: 'erp1',
  user: 'deploy',
  workspace: '/srv/deploy',
  at: '2026-11-22T10:15:03.000Z',
};

const withNotify = (yaml: string) => `${minimalPlan}notify:\n${yaml}`;
const deps = (transport: NotifyTransport, env: NodeJS.ProcessEnv = {}) => ({
  transport,
  clock: ticking(),
  vars: { root: '/srv' },
  processEnv: env,
});

describe('notify: which ends are told', () => {
  it('maps a run end to its events', () => {
    const phase = { kind: 'phase' as const, phase: 4, runId: 'r', exitCode: 1 };
    expect(eventsOf({ ...phase, status: 'succeeded', exitCode: 0 })).toEqual(['success']);
    expect(eventsOf({ ...phase, status: 'failed' })).toEqual(['failure']);
    expect(eventsOf({ ...phase, status: 'rolled-back', rollback: { outcome: 'succeeded' } })).toEqual([
      'failure',
      'rollback',
    ]);
    expect(eventsOf({ ...phase, status: 'failed', rollback: { outcome: 'failed' } })).toEqual([
      'failure',
      'rollback',
      'needs_person',
    ]);
    expect(eventsOf({ ...phase, status: 'interrupted' })).toEqual(['failure']);
    expect(eventsOf({ ...phase, kind: 'rollback', status: 'succeeded' })).toEqual(['success']);
    expect(eventsOf({ ...phase, kind: 'rollback', status: 'failed' })).toEqual(['failure', 'needs_person']);
  });

  it('sends one POST per target whose on: matches; default on: is failure, rollback, needs_person', async () => {
    const plan = planFromText(
      withNotify(
        '  - { webhook: "https://hooks.example.com/services/T0/B0/secret" }\n' +
          '  - { webhook: "https://ok.example.com/x", on: [success] }\n',
      ),
    );
    expect(plan.notify!.map((n) => n.on)).toEqual([['failure', 'rollback', 'needs_person'], ['success']]);
    const t = new FakeTransport();
    const sent = await notifyRunEnd(plan.notify!, event, deps(t));
    expect(t.posts).toHaveLength(1);
    const body = JSON.parse(t.posts[0]!.body);
    // Slack and Mattermost show `text`; the fields are there for a receiver that reads them
    expect(body.text).toMatch(/acme: phase 4 FAILED and was rolled back on erp1/);
    expect(body.text).toContain(event.failure_record!);
    expect(body).toMatchObject({
      project: 'acme',
      phase: 4,
      run_id: event.run_id,
      outcome: 'rolled-back',
      failure_record: event.failure_record,
      rollback: 'succeeded',
      host: 'erp1',
      events: ['failure', 'rollback'],
    });
    expect(t.posts[0]!.headers['Content-Type']).toMatch(/application\/json/);
    // the secret path of the webhook is never shown
    expect(sent).toMatchObject([
      { target: 'webhook https://hooks.example.com/…', delivered: true, status: 200 },
    ]);
    expect(JSON.stringify(sent)).not.toContain('secret');
  });

  it('fills templates from the event, the plan vars and the environment; a lone field keeps its type', async () => {
    const plan = planFromText(
      withNotify(
        '  - webhook: "https://hooks.example.com/${project}"\n' +
          '    headers: { Authorization: "Bearer ${env:HOOK_TOKEN}" }\n' +
          '    body: { msg: "phase ${phase} on ${host}: ${outcome} (root ${root})", phase: "${phase}", rb: "${rollback}" }\n' +
          '  - webhook: "http://127.0.0.1:9/plain"\n' +
          '    body: "phase=${phase} record=${failure_record}"\n',
      ),
    );
    const t = new FakeTransport();
    await notifyRunEnd(plan.notify!, event, deps(t, { HOOK_TOKEN: 't0k' }));
    expect(t.posts[0]!.url).toBe('https://hooks.example.com/acme');
    expect(t.posts[0]!.headers.Authorization).toBe('Bearer t0k');
    expect(JSON.parse(t.posts[0]!.body)).toEqual({
      msg: 'phase 4 on erp1: rolled-back (root /srv)',
      phase: 4,
      rb: 'succeeded',
    });
    expect(t.posts[1]!.body).toBe(`phase=4 record=${event.failure_record}`);
    expect(t.posts[1]!.headers['Content-Type']).toMatch(/text\/plain/);
  });

  it('a target that cannot be reached, answers non-2xx, or lacks its env is a record, never an exception', async () => {
    const plan = planFromText(
      withNotify(
        '  - { webhook: "https://a.example.com/" }\n' +
          '  - { webhook: "https://b.example.com/", headers: { X: "${env:MISSING}" } }\n',
      ),
    );
    const down = await notifyRunEnd(
      plan.notify!,
      event,
      deps(new FakeTransport({ status: null, error: 'ECONNREFUSED' })),
    );
    expect(down.map((r) => [r.delivered, r.error])).toEqual([
      [false, 'ECONNREFUSED'],
      [false, expect.stringMatching(/env:MISSING/)],
    ]);
    const bad = await notifyRunEnd(plan.notify!.slice(0, 1), event, deps(new FakeTransport({ status: 500 })));
    expect(bad).toMatchObject([{ delivered: false, status: 500, error: 'HTTP 500' }]);
  });

  it('a run: target gets its argv filled per element and the event in its environment', async () => {
    const plan = planFromText(
      withNotify('  - { run: [notify-send, "phase ${phase}: ${outcome}"], on: [failure] }\n'),
    );
    const t = new FakeTransport();
    const [r] = await notifyRunEnd(plan.notify!, event, deps(t));
    expect(t.runs[0]!.argv).toEqual(['notify-send', 'phase 4: rolled-back']);
    expect(t.runs[0]!.env.GNR_MIGRATE_PHASE).toBe('4');
    expect(JSON.parse(t.runs[0]!.env.GNR_MIGRATE_EVENT_JSON!)).toMatchObject({ run_id: event.run_id });
    expect(r).toMatchObject({ target: 'run notify-send', delivered: true });
  });

  it('plan validation names a template field that does not exist and a URL that is not http(s)', () => {
    const issues = planIssues(
      withNotify('  - { webhook: "ftp://x/", body: { a: "${phsae}" } }\n  - { run: [x], on: [sometimes] }\n'),
    );
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(Object.keys(byPath)).toEqual(expect.arrayContaining(['notify[1].on[0]']));
    const resolveIssues = planIssues(withNotify('  - { webhook: "ftp://x/", body: { a: "${phsae}" } }\n'));
    expect(resolveIssues.map((i) => [i.path, i.message])).toEqual([
      ['notify[0].webhook', 'expected an http:// or https:// URL'],
      ['notify[0].body.a', expect.stringMatching(/\$\{phsae\} is neither a field of the event/)],
    ]);
  });

  it('describes a webhook by its origin only', () => {
    expect(describeUrl('https://chat.example.com/hooks/abc123')).toBe('webhook https://chat.example.com/…');
    expect(defaultBody(event).text).toMatch(/^\[gnr-migrate\] acme/);
  });

  it('the run-events hook: an automatic rollback adds no second notification; a manual one waits for its record', async () => {
    const plan = planFromText(
      withNotify('  - { webhook: "https://hooks.example.com/x", on: [failure, rollback, success] }\n'),
    );
    const t = new FakeTransport();
    const written: unknown[] = [];
    const notifier = createRunEndNotifier({
      plan,
      ws: workspaceAt('/srv/deploy'),
      processEnv: {},
      transport: t,
    });
    const base = {
      from: 3,
      to: 3,
      startedAt: '',
      host: 'h',
      user: 'u',
      pid: 1,
      steps: [],
      backups: [],
      snapshots: [],
      acks: [],
    };
    const annotate = async (mutate: (r: Run) => void) => {
      const r = { ...base, id: 'x', kind: 'phase', phase: 4, status: 'failed' } as Run;
      mutate(r);
      written.push(r.notifications);
    };
    const rolledBack = {
      attempted: true,
      outcome: 'succeeded' as const,
      runId: 'rb',
      restored: [],
      snapshots: [],
      undone: [],
      errors: [],
      verify: [],
    };
    // the automatic rollback ends first, then the phase run that started it
    await notifier.events.onRunEnd!({
      run: {
        ...base,
        id: 'rb',
        kind: 'rollback',
        phase: 4,
        status: 'succeeded',
        reason: 'auto-rollback: step a',
      },
      kind: 'rollback',
      outcome: 'succeeded',
      exitCode: 0,
      rollbackOutcome: rolledBack,
      annotate,
    });
    await notifier.events.onRunEnd!({
      run: { ...base, id: 'p4', kind: 'phase', phase: 4, status: 'rolled-back' },
      kind: 'phase',
      outcome: 'rolled-back',
      exitCode: 1,
      rollbackOutcome: rolledBack,
      annotate,
    });
    expect(t.posts).toHaveLength(1);
    expect(JSON.parse(t.posts[0]!.body)).toMatchObject({
      run_id: 'p4',
      outcome: 'rolled-back',
      rollback: 'succeeded',
    });
    expect(written).toHaveLength(1);
    // a rollback by hand is told once its failure record exists
    await notifier.events.onRunEnd!({
      run: { ...base, id: 'm4', kind: 'rollback', phase: 4, status: 'succeeded', reason: 'manual rollback' },
      kind: 'rollback',
      outcome: 'succeeded',
      exitCode: 0,
      rollbackOutcome: { ...rolledBack, runId: 'm4' },
      annotate,
    });
    expect(t.posts).toHaveLength(1);
    await notifier.flush('m4', 'migration/failures/acme_phase-4_x.json');
    expect(t.posts).toHaveLength(2);
    expect(JSON.parse(t.posts[1]!.body)).toMatchObject({
      kind: 'rollback',
      outcome: 'succeeded',
      events: ['success'],
      failure_record: '/srv/deploy/migration/failures/acme_phase-4_x.json',
    });
    expect(notifier.sent()).toHaveLength(2);
    expect(notifier.warnings()).toEqual([]);
  });
});
