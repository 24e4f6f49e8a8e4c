import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { json, repoRoot, runCli } from '../helpers/cli.js';
import { deadPid, makeGateWorkspace, run } from '../helpers/gate-fixture.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * `gate` on workspaces in each state, through the built binary. Build first: `npx tsc -p .`
 * (the `test` script does).
 */

interface Item {
  id: string;
  verdict: string;
  message: string;
  measured: unknown;
  threshold: string | null;
}
interface Doc {
  ok: boolean;
  exitCode: number;
  phase: number;
  standing: string;
  items: Item[];
  counts: Record<string, number>;
}

// The tests' own CI must not turn on the GitHub output of the runs under test.
const quiet = { GITHUB_ACTIONS: undefined, GITHUB_STEP_SUMMARY: undefined };
const gate = (cwd: string, args: string[] = [], env: Record<string, string | undefined> = {}) =>
  runCli(['gate', ...args], { cwd, env: { ...quiet, ...env } });
const verdicts = (doc: Doc) => Object.fromEntries(doc.items.map((i) => [i.id, i.verdict]));
const itemOf = (doc: Doc, id: string) => {
  const found = doc.items.find((i) => i.id === id);
  if (!found) throw new Error(`no item ${id} in ${doc.items.map((i) => i.id).join(', ')}`);
  return found;
};

describe('gate on a workspace', () => {
  beforeAll(() => {
    // The built binary is what is tested: say so plainly when it has not been built.
    if (!existsSync(join(repoRoot, 'dist/commands/gate.js'))) throw new Error('run `npx tsc -p .` first');
  });

  it('nothing applied: the first phase is next, its checklist passes, backups and runbook are not due', async () => {
    const ws = makeGateWorkspace();
    const r = await gate(ws.root, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = json<Doc>(r);
    expect(doc).toMatchObject({ ok: true, exitCode: 0, phase: 0, standing: 'next' });
    expect(verdicts(doc)).toEqual({
      plan: 'pass',
      ledger: 'pass',
      lock: 'pass',
      phase: 'pass',
      'checklist: conf_present': 'pass',
      backups: 'skipped',
      runbook: 'skipped',
    });
    expect(itemOf(doc, 'backups').message).toBe('skipped: no backups yet: the phase has not been applied');
    // Human table on stderr, stdout only JSON.
    expect(r.stderr).toMatch(/✓ pass\s+checklist: conf_present/);
    expect(r.stderr).toContain('Gate passed.');
  });

  it('a phase applied with good backups passes, shallow and deep', async () => {
    const ws = makeGateWorkspace();
    const ids = await ws.backUp(['conf', 'data']);
    ws.applyPhase0(ids);
    for (const args of [[], ['--deep']]) {
      const r = await gate(ws.root, ['--json', ...args]);
      expect(r.code, r.stderr).toBe(0);
      const doc = json<Doc>(r);
      expect(doc.standing).toBe('current');
      expect(verdicts(doc)).toEqual({
        plan: 'pass',
        ledger: 'pass',
        lock: 'pass',
        phase: 'pass',
        'verify: marker_present': 'pass',
        [`backup: ${ids[0]}`]: 'pass',
        [`backup: ${ids[1]}`]: 'pass',
        runbook: 'pass',
      });
    }
    // Without --json: the table on stderr, nothing on stdout.
    const plain = await gate(ws.root);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toMatch(/gnr-migrate gate · acme · phase 0 \(ASGI wraps WSGI\) · current/);
  });

  it('after a real `phase 0`, the gate passes on what the phase runner recorded', async () => {
    const ws = makeGateWorkspace();
    const applied = await runCli(['phase', '0', '--yes'], { cwd: ws.root, env: quiet });
    expect(applied.code, applied.stderr).toBe(0);
    const r = await gate(ws.root, ['--json', '--deep']);
    expect(r.code, r.stderr).toBe(0);
    const doc = json<Doc>(r);
    expect(doc.standing).toBe('current');
    const backups = doc.items.filter((i) => i.id.startsWith('backup: '));
    expect(backups.map((i) => i.verdict)).toEqual(['pass', 'pass']);
    expect(itemOf(doc, 'runbook').verdict).toBe('pass');
  });

  it('a corrupted backup fails with --deep, naming the file; the JUnit report says so', async () => {
    const ws = makeGateWorkspace();
    const ids = await ws.backUp(['conf', 'data']);
    ws.applyPhase0(ids);
    const dataId = ids.find((id) => id.startsWith('data_'))!;
    const victim = join(ws.backupsDir, dataId, 'data', 'db', 'users.sqlite');
    const original = readFileSync(victim);
    // Same size, different bytes: only re-hashing can tell.
    writeFileSync(victim, Buffer.from(original.map((b, i) => (i === 0 ? b ^ 0xff : b))));

    const junit = join(ws.root, 'reports', 'gate.xml');
    const r = await gate(ws.root, ['--json', '--deep', '--junit', junit]);
    expect(r.code, r.stderr).toBe(1);
    const doc = json<Doc>(r);
    const bad = itemOf(doc, `backup: ${dataId}`);
    expect(bad.verdict).toBe('fail');
    expect(bad.message).toContain('db/users.sqlite');
    expect(r.stderr).toMatch(/Gate failed: 1 of \d+ items \(backup: data_/);

    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@',
      isArray: (name) => ['testsuite', 'testcase'].includes(name),
    }).parse(xml);
    const suites = parsed.testsuites.testsuite as Record<string, unknown>[];
    expect(suites).toHaveLength(1);
    const suite = suites[0]!;
    const cases = suite.testcase as Record<string, unknown>[];
    expect(cases).toHaveLength(doc.items.length);
    expect(Number(suite['@tests'])).toBe(doc.items.length);
    const failures = cases.filter((c) => 'failure' in c);
    const skipped = cases.filter((c) => 'skipped' in c);
    expect(failures.map((c) => c['@name'])).toEqual([`backup: ${dataId}`]);
    expect(Number(suite['@failures'])).toBe(failures.length);
    // Counts live on the suite; skipped cases are counted from their <skipped/> (Ant's schema
    // allows no `skipped` attribute, nor any attribute on <testsuites>).
    expect(suite['@skipped']).toBeUndefined();
    expect(skipped.length).toBe(doc.items.filter((i) => i.verdict === 'skipped').length);
    const failure = failures[0]!.failure as Record<string, string>;
    expect(failure['@message']).toContain('db/users.sqlite');
  });

  it('a missing backup fails without --deep', async () => {
    const ws = makeGateWorkspace();
    const ids = await ws.backUp(['conf', 'data']);
    ws.applyPhase0([...ids, 'conf_20200101-000000']);
    const r = await gate(ws.root, ['--json']);
    expect(r.code).toBe(1);
    expect(itemOf(json<Doc>(r), 'backup: conf_20200101-000000').message).toContain('is missing');
  });

  it('a stale lock fails: its holder is gone', async () => {
    const ws = makeGateWorkspace();
    const pid = deadPid();
    ws.writeLock(pid);
    const r = await gate(ws.root, ['--json']);
    expect(r.code).toBe(1);
    const lock = itemOf(json<Doc>(r), 'lock');
    expect(lock.verdict).toBe('fail');
    expect(lock.message).toMatch(/^stale lock, run `gnr-migrate unlock`/);
    expect(lock.message).toContain(`pid ${pid}`);
  });

  it('a live lock fails: a run is in progress', async () => {
    const ws = makeGateWorkspace();
    ws.writeLock(process.pid);
    const r = await gate(ws.root, ['--json']);
    expect(r.code).toBe(1);
    expect(itemOf(json<Doc>(r), 'lock').message).toMatch(/^a run is in progress: pid \d+/);
  });

  it('an interrupted run fails the ledger item, with how to settle it', async () => {
    const ws = makeGateWorkspace();
    ws.writeState({ current: null, runs: [run({ status: 'interrupted', endedAt: undefined })] });
    const r = await gate(ws.root, ['--json']);
    expect(r.code).toBe(1);
    const ledger = itemOf(json<Doc>(r), 'ledger');
    expect(ledger.verdict).toBe('fail');
    expect(ledger.message).toContain('gnr-migrate phase 0 --resume');
  });

  it('a phase further down the path fails the phase item; an unknown one is bad input', async () => {
    const ws = makeGateWorkspace();
    const r = await gate(ws.root, ['--json', '--phase', '3']);
    expect(r.code).toBe(1);
    expect(itemOf(json<Doc>(r), 'phase').message).toBe(
      'phase 3 is not next: apply phase 0 first (nothing applied yet)',
    );
    const unknown = await gate(ws.root, ['--phase', '9']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--phase 9: no such phase');
  });

  it('an invalid plan is exit 2, and the JUnit report still says why', async () => {
    const ws = makeGateWorkspace();
    ws.file('migration/plan.yaml', 'version: 1\nproject: acme\npath: [0]\nphases: [{ id: 0, chekcs: [] }]\n');
    const junit = join(ws.root, 'gate.xml');
    const r = await gate(ws.root, ['--junit', junit]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown key "chekcs"');
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<failure message="the plan is invalid:');
  });

  it('under GitHub Actions: annotations on stdout and a Markdown job summary', async () => {
    const ws = makeGateWorkspace();
    ws.writeLock(deadPid());
    const summary = join(tempDir(), 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
    const r = await gate(ws.root, [], env);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^::error title=gate%3A lock::stale lock, run `gnr-migrate unlock`/);
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('# earlier step\n')).toBe(true); // appended, not replaced
    expect(md).toContain('### gnr-migrate gate: phase 0 (ASGI wraps WSGI) — ❌ failed (1 of 7 items)');
    expect(md).toMatch(/\| ❌ \| `lock` \| fail \|/);
    expect(md).toMatch(/\| ⏭️ \| `backups` \| skipped \|/);

    // With --json, stdout stays one JSON document and the annotations move to stderr.
    const withJson = await gate(ws.root, ['--json'], env);
    expect(json<Doc>(withJson).exitCode).toBe(1);
    expect(withJson.stderr).toMatch(/^::error title=gate%3A lock::/m);
    expect(readFileSync(summary, 'utf8').match(/### gnr-migrate gate/g)).toHaveLength(2);
  });
});
