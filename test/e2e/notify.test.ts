import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, repoRoot, runCli } from '../helpers/cli.js';
import { managedFixtures, type PhaseFixture, readState } from '../helpers/phase-fixture.js';

const fixture = managedFixtures();
/** Without a terminal, `phase` and `rollback` need --yes (issue 12 §5). */
const withYes = (args: string[]) =>
  (args[0] === 'phase' || args[0] === 'rollback') && !args.includes('--dry-run') ? [...args, '--yes'] : args;
const cli = (f: PhaseFixture, args: string[]) => runCli([...withYes(args), ...f.vars], { cwd: f.ws });

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver on 127.0.0.1 (a free port) answering each path with the status the test sets. */
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});
async function receiver(status: (path: string) => number | 'hang' = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const s = status(req.url ?? '');
      if (s === 'hang') return;
      res.writeHead(s, { 'content-type': 'text/plain' });
      res.end(s < 300 ? 'ok' : 'no');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, received };
}

describe('notify: a run end is told to a webhook', () => {
  it('a failing phase delivers exactly one POST with the phase, the failure record and the rollback outcome', async () => {
    const f = await fixture();
    const hook = await receiver();
    appendFileSync(
      join(f.ws, 'migration', 'plan.yaml'),
      `notify:\n  - webhook: "${hook.url}/hooks/s3cret"\n`,
    );
    // a success is not told by default
    expect((await cli(f, ['phase', '0'])).code).toBe(0);
    expect(hook.received).toHaveLength(0);
    expect((await cli(f, ['rollback'])).code).toBe(0);
    expect(hook.received).toHaveLength(0);

    const r = await cli(f, ['phase', '0', '--var', 'fail_step=1', '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(hook.received).toHaveLength(1);
    const [post] = hook.received;
    expect(post!.path).toBe('/hooks/s3cret');
    expect(post!.headers['content-type']).toMatch(/application\/json/);
    const body = JSON.parse(post!.body);
    const run = readState(f.ws).runs.at(-2) as { id: string; failure: string; notifications: unknown[] };
    expect(body).toMatchObject({
      project: 'demo',
      phase: 0,
      kind: 'phase',
      outcome: 'rolled-back',
      run_id: run.id,
      failure_record: join(f.ws, run.failure),
      rollback: 'succeeded',
      events: ['failure', 'rollback'],
    });
    expect(existsSync(body.failure_record)).toBe(true);
    expect(body.text).toMatch(/phase 0 FAILED and was rolled back/);
    expect(body.host).toBeTruthy();
    // recorded on the run, shown by history, without the secret part of the URL
    expect(run.notifications).toMatchObject([
      { delivered: true, status: 200, events: ['failure', 'rollback'] },
    ]);
    expect(json(r)).toMatchObject({ notifications: [{ delivered: true }] });
    const history = await cli(f, ['history']);
    expect(history.stdout).toMatch(/notified: webhook http:\/\/127\.0\.0\.1:\d+\/… delivered/);
    expect(history.stdout).not.toMatch(/s3cret/);
  });

  it('a notification that cannot be delivered is a warning; the run ends as it would have', async () => {
    const f = await fixture();
    const hook = await receiver((path) => (path === '/down' ? 500 : path === '/hang' ? 'hang' : 200));
    appendFileSync(
      join(f.ws, 'migration', 'plan.yaml'),
      `notify:\n  - { webhook: "${hook.url}/down" }\n  - { webhook: "${hook.url}/hang", timeout: 1s }\n` +
        '  - { run: [/nonexistent/notifier, "${phase}"] }\n' +
        `  - { webhook: "${hook.url}/ok", on: [success], body: { says: "phase \${phase} \${outcome}" } }\n`,
    );
    const ok = await cli(f, ['phase', '0']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(hook.received.map((x) => [x.path, JSON.parse(x.body)])).toEqual([
      ['/ok', { says: 'phase 0 succeeded' }],
    ]);

    // the backup of a system that does not exist fails the phase before anything changed
    const failed = await runCli(['phase', '3', '--yes', ...f.vars, '--var', 'host=/nonexistent/host'], {
      cwd: f.ws,
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /warning: notification to webhook http:\/\/127\.0\.0\.1:\d+\/… not delivered \(HTTP 500\)/,
    );
    expect(failed.stderr).toMatch(/not delivered \(no answer in 1s\)/);
    expect(failed.stderr).toMatch(/notification to run \/nonexistent\/notifier not delivered/);
    const run = readState(f.ws).runs.at(-1) as { notifications: { delivered: boolean }[] };
    expect(run.notifications.map((n) => n.delivered)).toEqual([false, false, false]);
    expect(existsSync(join(f.ws, 'migration', '.lock'))).toBe(false);
  });

  it("the README's notify: example is a valid plan section", async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const yaml = /### Notifications[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toMatch(/^notify:/);
    const f = await fixture();
    appendFileSync(join(f.ws, 'migration', 'plan.yaml'), yaml!);
    const valid = await runCli(['plan', 'validate'], { cwd: f.ws });
    expect(valid.code, valid.stderr).toBe(0);
    appendFileSync(join(f.ws, 'migration', 'plan.yaml'), '  - { webhook: "https://x/${phsae}" }\n');
    const typo = await runCli(['plan', 'validate'], { cwd: f.ws });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/notify\[3\]\.webhook: \$\{phsae\} is neither a field of the event/);
  });
});
