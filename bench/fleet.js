#!/usr/bin/env node
// The fleet controller's own overhead per host (issue 15): a 52-host fleet (the seed's 52
// systems, P0 3 · P1 12 · P2 13 · P3 12 · P4 12, `ansible_connection=local`, each host its own
// workspace with a small plan) runs `gnr-migrate fleet phase 0 --dry-run` end to end, against
// a bare `ansible-playbook` of the same playbook, hosts, forks and host command, in one run.
// The hosts are light: a workspace with a one-phase plan whose checklist reads a file of its
// own, not 52 full sandboxes (the host's own dry-run is the same program either way).
// gnr-migrate is installed once into a shared prefix first, so neither side pays an install.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'bin', 'gnr-migrate.js');
const playbook = join(repo, 'migration', 'fleet', 'playbook.yaml');
const forks = Number(process.env.FORKS ?? 10);
const groups = { P0: 3, P1: 12, P2: 13, P3: 12, P4: 12 };

const dir = mkdtempSync(join(tmpdir(), 'gnrm-bench-fleet-'));
try {
  // The agent, packed and installed once.
  const pack = join(dir, 'pack');
  mkdirSync(pack);
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', pack], {
      cwd: repo,
      encoding: 'utf8',
    }),
  );
  const tarball = join(pack, packed[0].filename);
  const prefix = join(dir, 'prefix');
  execFileSync(
    'npm',
    ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball],
    {
      stdio: 'ignore',
    },
  );

  // 52 workspaces and an INI inventory.
  const lines = [];
  let n = 0;
  for (const [group, count] of Object.entries(groups)) {
    lines.push(`[${group}]`);
    for (let i = 0; i < count; i++) {
      n++;
      const name = `sys${String(n).padStart(2, '0')}`;
      const ws = join(dir, 'hosts', name);
      mkdirSync(join(ws, 'migration'), { recursive: true });
      mkdirSync(join(ws, 'site'));
      writeFileSync(join(ws, 'site', 'app.conf'), `upstream ${name}\n`);
      writeFileSync(
        join(ws, 'migration', 'plan.yaml'),
        `version: 1
project: ${name}
systems: { site: { path: site } }
path: [0]
phases:
  - id: 0
    title: switch the upstream
    backup: [site]
    checks: [{ id: site_config, file: site/app.conf, contains: "^upstream ${name}$" }]
    steps: [{ id: switch, run: [sed, -i, "s/upstream/server/", site/app.conf] }]
    verify: [{ id: switched, file: site/app.conf, contains: "^server" }]
`,
      );
      lines.push(`${name} gnr_migrate_workspace=${ws}`);
    }
  }
  lines.push(
    '[all:vars]',
    'ansible_connection=local',
    'ansible_python_interpreter=/usr/bin/python3',
    `gnr_migrate_prefix=${prefix}`,
  );
  const controller = join(dir, 'controller');
  mkdirSync(join(controller, 'migration', 'fleet'), { recursive: true });
  const inventory = join(controller, 'migration', 'fleet', 'inventory.ini');
  writeFileSync(inventory, `${lines.join('\n')}\n`);
  writeFileSync(
    join(controller, 'migration', 'plan.yaml'),
    `version: 1
project: fleet
path: [0]
phases: [{ id: 0, title: switch the upstream }]
fleet:
  inventory: migration/fleet/inventory.ini
  waves:
    - { name: pilot, hosts: P0, max_fail_percentage: 0 }
    - { name: expansion, hosts: P1, max_fail_percentage: 10 }
    - { name: majority, hosts: "P2:P3", max_fail_percentage: 10 }
    - { name: completion, hosts: P4, max_fail_percentage: 20 }
`,
  );

  const env = { ...process.env, CI: '1', NO_COLOR: '1' };
  const time = (fn) => {
    const t = process.hrtime.bigint();
    const r = fn();
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, r };
  };

  const fleet = time(() =>
    spawnSync(
      process.execPath,
      [bin, 'fleet', 'phase', '0', '--dry-run', '--json', '--forks', String(forks), '--tarball', tarball],
      {
        cwd: controller,
        env,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    ),
  );
  const doc = JSON.parse(fleet.r.stdout || '{}');
  if (fleet.r.status !== 0 || doc.counts?.ready !== 52)
    throw new Error(`fleet dry-run exited ${fleet.r.status}: ${fleet.r.stderr.slice(-3000)}`);

  const hosts = 52;
  const own = fleet.ms - doc.engineMs;
  console.log(
    `52-host fleet dry-run, ${doc.waves.length} waves (${doc.waves.map((w) => `${w.name} ${w.hosts.length}`).join(', ')}), forks ${forks}: every host ready ${doc.counts.ready}/${hosts}`,
  );
  console.log(
    `  gnr-migrate fleet --dry-run  ${(fleet.ms / 1000).toFixed(1)} s  (${(fleet.ms / hosts).toFixed(0)} ms/host)`,
  );
  // Inside this one run: wall time minus the time inside ansible-playbook (Node start-up,
  // plan, ansible-inventory, waves, reading 52 results) — immune to the load changing.
  console.log(
    `  of which outside ansible-playbook: ${(own / 1000).toFixed(1)} s, ${(own / hosts).toFixed(0)} ms/host`,
  );
  // The bare engine: the same playbook, hosts, forks and host command, no controller.
  const results = join(dir, 'bare-results');
  const varsFile = join(dir, 'bare-vars.json');
  writeFileSync(
    varsFile,
    JSON.stringify({
      gnr_migrate_args: ['phase', '0', '--dry-run', '--json'],
      gnr_migrate_results: results,
      gnr_migrate_version: packed[0].version,
      gnr_migrate_tarball: tarball,
      gnr_migrate_status_after: false,
    }),
  );
  const bare = time(() =>
    spawnSync(
      'ansible-playbook',
      ['-i', inventory, playbook, '-e', `@${varsFile}`, '--forks', String(forks)],
      {
        env: { ...env, ANSIBLE_PIPELINING: 'True' },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    ),
  );
  if (bare.r.status !== 0)
    throw new Error(`bare ansible-playbook exited ${bare.r.status}:\n${bare.r.stdout.slice(-3000)}`);

  const overhead = fleet.ms - bare.ms;
  console.log(
    `  bare ansible-playbook        ${(bare.ms / 1000).toFixed(1)} s  (${(bare.ms / hosts).toFixed(0)} ms/host)`,
  );
  console.log(
    `  controller overhead against the bare run: ${(overhead / 1000).toFixed(1)} s total, ${(overhead / hosts).toFixed(0)} ms/host`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
