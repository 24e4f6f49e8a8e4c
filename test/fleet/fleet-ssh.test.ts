import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { processAlive } from '../helpers/checklists.js';
import { json, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hostTree, packTarball, type SandboxHost, sandboxHost } from './hosts.js';
import { type SshFleet, startSshd } from './sshd.js';

/**
 * The fleet for real: Debian's sshd and ansible-core, four sandbox Genropy hosts reached over
 * SSH as root, three waves (pilot, expansion, majority), a fault injected on one host of wave
 * 2 that exceeds its budget and stops wave 3, then `fleet rollback --wave` bringing every
 * applied host back byte-identical.
 */

const names = ['h1', 'h2', 'h3', 'h4'];
let dir: string;
let ssh: SshFleet | undefined;
const hosts: SandboxHost[] = [];
let controller: string;
let tarball: string;
const before = new Map<string, Map<string, unknown>>();

beforeAll(async () => {
  dir = tempDir('gnrm-fleet-ssh-');
  tarball = packTarball(join(dir, 'pack'));
  ssh = await startSshd(join(dir, 'ssh'), names.length);
  for (const n of names) hosts.push(await sandboxHost(n, dir));
  for (const h of hosts) before.set(h.name, hostTree(h));

  controller = join(dir, 'controller');
  const hostEntry = (h: SandboxHost, i: number, fault?: string) => ({
    ansible_port: ssh?.hosts[i]?.port,
    gnr_migrate_workspace: h.workspace,
    gnr_migrate_prefix: h.prefix,
    gnr_migrate_env: { ...h.env, ...(fault ? { GNR_SANDBOX_FAULT: fault } : {}) },
  });
  const [h1, h2, h3, h4] = hosts as [SandboxHost, SandboxHost, SandboxHost, SandboxHost];
  const inventory = {
    all: {
      vars: ssh.vars,
      children: {
        P0: { hosts: { h1: hostEntry(h1, 0) } },
        P1: { hosts: { h2: hostEntry(h2, 1), h3: hostEntry(h3, 2, 'nginx.-t:fail') } },
        P2: { hosts: { h4: hostEntry(h4, 3) } },
      },
    },
  };
  const fleetDir = join(controller, 'migration', 'fleet');
  spawnSync('mkdir', ['-p', fleetDir]);
  writeFileSync(join(fleetDir, 'inventory.yaml'), stringify(inventory));
  writeFileSync(
    join(controller, 'migration', 'plan.yaml'),
    `version: 1
project: fleet-controller
path: [0]
phases: [{ id: 0, title: nginx sends / to the ASGI server }]
fleet:
  max_fail_percentage: 0
  waves:
    - { name: pilot, hosts: P0 }
    - { name: expansion, hosts: P1, max_fail_percentage: 25 }
    - { name: majority, hosts: P2 }
`,
  );
}, 10 * 60_000);

afterAll(async () => {
  await ssh?.stop();
  for (const h of hosts) await h.stop();
  // Nothing the test started is left: no sshd, no session, no sandbox process.
  for (const pid of ssh?.hosts.map((h) => h.pid) ?? []) expect(processAlive(pid)).toBe(false);
  // SSH masters (ControlPersist) end once their sessions are gone: give them a moment.
  let leftover = '';
  for (let i = 0; i < 50; i++) {
    leftover = spawnSync('pgrep', ['-af', dir], { encoding: 'utf8' }).stdout.trim();
    if (!leftover) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(leftover).toBe('');
}, 5 * 60_000);

const fleet = (args: string[]) =>
  runCli(['fleet', ...args, '--tarball', tarball], { cwd: controller, timeoutMs: 15 * 60_000 });

describe('a fleet of four sandbox hosts over SSH, in three waves', () => {
  it('stops at the wave over its budget, rolls that wave back byte-identical, gates and reports', async () => {
    const dry = await fleet(['phase', '0', '--dry-run', '--json']);
    const plan = json<{
      wouldProceed: boolean;
      waves: { name: string; hosts: { host: string; state: string }[] }[];
    }>(dry);
    expect(plan.waves.map((w) => [w.name, w.hosts.map((h) => h.host)])).toEqual([
      ['pilot', ['h1']],
      ['expansion', ['h2', 'h3']],
      ['majority', ['h4']],
    ]);
    expect(plan.waves.flatMap((w) => w.hosts.map((h) => h.state))).toEqual([
      'ready',
      'ready',
      'ready',
      'ready',
    ]);
    expect(dry.code).toBe(0);
    // The agent was installed on each host from the tarball, into its prefix.
    for (const h of hosts) expect(existsSync(join(h.prefix, 'bin', 'gnr-migrate'))).toBe(true);

    const run = await fleet(['phase', '0', '--json']);
    const r = json<{
      applied: string[];
      failed: { host: string; outcome: string }[];
      notStarted: string[];
      stoppedAt: string;
    }>(run);
    expect(run.code, run.stderr).toBe(1);
    expect(r.stoppedAt).toBe('expansion');
    expect(r.applied).toEqual(['h1', 'h2']);
    expect(r.failed).toEqual([expect.objectContaining({ host: 'h3', outcome: 'rolled-back' })]);
    expect(r.notStarted).toEqual(['h4']);
    expect(hostTree(hosts[2] as SandboxHost)).toEqual(before.get('h3')); // rolled back on the host
    expect(hostTree(hosts[1] as SandboxHost)).not.toEqual(before.get('h2')); // applied
    expect(hostTree(hosts[3] as SandboxHost)).toEqual(before.get('h4')); // never started
    // The failure record of h3 came back to the controller.
    const state = JSON.parse(readFileSync(join(controller, 'migration', 'fleet', 'state.json'), 'utf8'));
    expect(existsSync(join(controller, state.hosts.h3.runs[0].failure))).toBe(true);

    const gate = await fleet(['gate', '--wave', 'pilot', '--junit', join(dir, 'gate.xml')]);
    expect(gate.code, gate.stderr).toBe(0);
    const xsd = new URL('../fixtures/xsd/jenkins-junit-10.xsd', import.meta.url).pathname;
    const lint = spawnSync('xmllint', ['--noout', '--schema', xsd, join(dir, 'gate.xml')], {
      encoding: 'utf8',
    });
    expect(lint.status, lint.stderr).toBe(0);
    expect(readFileSync(join(dir, 'gate.xml'), 'utf8')).toMatch(/<testsuite name="h1"/);

    for (const wave of ['expansion', 'pilot']) {
      const rb = await fleet(['rollback', '--wave', wave, '--json']);
      expect(rb.code, rb.stderr).toBe(0);
    }
    for (const h of hosts) expect(hostTree(h), h.name).toEqual(before.get(h.name));

    const status = json<{ kpis: Record<string, unknown>; successScore: number }>(
      await runCli(['fleet', 'status', '--json'], { cwd: controller }),
    );
    expect(status.kpis).toMatchObject({
      phase: 0,
      systemsMigrated: 0,
      systemsTotal: 4,
      failedMigrations: 1,
      rollbackCount: 3,
    });
    expect(status.successScore).toBeGreaterThan(0);
  });
});
