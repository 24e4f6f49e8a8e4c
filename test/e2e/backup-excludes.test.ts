import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackupInfo } from '../../src/backup/index.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { renderRunbook } from '../../src/rollback/runbook.js';
import { json, runCli } from '../helpers/cli.js';
import { planFromText } from '../helpers/plan.js';
import { rsyncDiff } from '../helpers/rsync-diff.js';
import { tempDir } from '../helpers/tmp.js';

const excludes = ['logs/**', '*.pyc', 'cache/', 'x/**/y', '{a,b}.tmp', 'lit\\*.txt'];

function put(root: string, rel: string, content = rel): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), content);
}

describe('one exclude dialect', () => {
  it('the runbook rsync line and backup restore leave out exactly the same paths', async () => {
    const root = tempDir('gnrm-e2e-excl-');
    const ws = join(root, 'ws');
    const site = join(root, 'site');
    const planText = `version: 1
project: e2e
systems:
  site: { path: ${JSON.stringify(site)}, exclude: ${JSON.stringify(excludes)} }
path: [0]
phases:
  - id: 0
    title: zero
    backup: [site]
    rollback: { restore: [site] }
`;
    mkdirSync(join(ws, 'migration'), { recursive: true });
    writeFileSync(join(ws, 'migration', 'plan.yaml'), planText);
    const paths = [
      'logs/a.log',
      'sub/logs/x', // `logs/**` is anchored: kept (rsync's own dialect would float it)
      'sub/m.pyc',
      'm.pyc',
      'cache/z',
      'q/cache', // a file: `cache/` is folders only
      'x/y',
      'x/k/y',
      'x/k/z',
      'a.tmp',
      'b.tmp',
      'c.tmp',
      'lit*.txt',
      'litx.txt',
      'keep.txt',
    ];
    for (const p of paths) put(site, p);
    const created = await runCli(['backup', 'create', '--json'], { cwd: ws });
    expect(created.code, created.stderr).toBe(0);
    const info = json<{ backups: BackupInfo[] }>(created).backups[0]!;

    // The live tree moves on: edits, deletions, new files, new excluded files.
    writeFileSync(join(site, 'keep.txt'), 'edited');
    writeFileSync(join(site, 'sub/logs/x'), 'edited too');
    put(site, 'logs/new.log');
    put(site, 'sub/new.pyc');
    put(site, 'extra/file');
    const byRsync = join(root, 'by-rsync');
    const byTool = join(root, 'by-tool');
    for (const to of [byRsync, byTool]) expect(spawnSync('cp', ['-a', site, to]).status).toBe(0);

    // The runbook restores into the plan's path of the system (never the manifest's source):
    // point that path at the copy the rsync line is to restore.
    const parsed = planFromText(planText);
    const plan = {
      ...parsed,
      systems: { ...parsed.systems, site: { ...parsed.systems.site!, path: byRsync } },
    };
    const runbook = renderRunbook({
      ws: workspaceAt(ws),
      plan,
      phase: plan.phases[0]!,
      runId: 'r1',
      status: 'failed',
      backups: [info],
      at: new Date(),
    });
    const line = runbook.split('\n').find((l) => l.startsWith('rsync '));
    expect(line).toBeDefined();
    const r = spawnSync('sh', ['-e', '-c', line!], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);

    const restored = await runCli(['backup', 'restore', info.id, '--to', byTool, '--yes'], { cwd: ws });
    expect(restored.code, restored.stderr).toBe(0);

    expect(readFileSync(join(byTool, 'sub/logs/x'), 'utf8')).toBe('sub/logs/x');
    expect(readFileSync(join(byTool, 'keep.txt'), 'utf8')).toBe('keep.txt');
    expect(existsSync(join(byTool, 'logs/new.log'))).toBe(true);
    expect(existsSync(join(byTool, 'sub/new.pyc'))).toBe(true);
    expect(existsSync(join(byTool, 'extra'))).toBe(false);
    expect(rsyncDiff(byTool, byRsync)).toEqual([]);
  });
});
