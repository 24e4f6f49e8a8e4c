import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox } from '../../examples/sandbox/sandbox.js';
import { repoRoot } from '../helpers/cli.js';
import { walkTree } from '../helpers/tree.js';

/**
 * A fleet host for the tests: a sandbox Genropy host (files and stand-ins; its services are not
 * started, the test phase needs none) with its own workspace and a small plan of our own, so
 * the fleet tests do not depend on the default plan. Phase 0 points the site's nginx `location /`
 * at the ASGI port and checks the configuration with `nginx -t`, which the fault
 * `nginx.-t:fail` breaks; its rollback restores the nginx site file.
 */

export interface SandboxHost {
  name: string;
  root: string;
  workspace: string;
  prefix: string;
  env: Record<string, string>;
  nginxSite: string;
  stop(): Promise<void>;
}

interface Sandbox {
  root: string;
  env: Record<string, string>;
  vars: Record<string, string>;
  paths: { nginxSite: string };
  stop(opts?: { remove?: boolean }): Promise<unknown>;
}

export async function sandboxHost(name: string, dir: string): Promise<SandboxHost> {
  const sb = (await createSandbox({ start: false })) as Sandbox;
  const workspace = join(dir, name, 'ws');
  mkdirSync(join(workspace, 'migration'), { recursive: true });
  const site = sb.paths.nginxSite;
  const from = `proxy_pass http://127.0.0.1:${sb.vars.gunicorn_port};`;
  const to = `proxy_pass http://127.0.0.1:${sb.vars.asgi_port};`;
  writeFileSync(
    join(workspace, 'migration', 'plan.yaml'),
    `version: 1
project: site-${name}
systems:
  nginx: { path: "${site}" }
path: [0]
phases:
  - id: 0
    title: nginx sends / to the ASGI server
    backup: [nginx]
    steps:
      - { id: point_to_asgi, run: [sed, -i, "s#${from}#${to}#", "${site}"] }
      - { id: nginx_test, run: [nginx, -t] }
    verify:
      - { id: site_on_asgi, file: "${site}", contains: "127.0.0.1:${sb.vars.asgi_port}" }
    rollback: { restore: [nginx] }
`,
  );
  return {
    name,
    root: sb.root,
    workspace,
    prefix: join(dir, name, 'prefix'),
    env: sb.env,
    nginxSite: site,
    stop: async () => {
      await sb.stop({ remove: true });
    },
  };
}

/** What "byte-identical" is checked on: every file of the host but its logs and pid files. */
export function hostTree(host: SandboxHost): Map<string, unknown> {
  const tree = walkTree(host.root);
  const out = new Map<string, unknown>();
  for (const [rel, e] of tree) {
    if (rel.startsWith('run/') || rel.startsWith('var/') || rel === 'run' || rel === 'var') continue;
    out.set(rel, { type: e.type, mode: e.mode, size: e.size, sha256: e.sha256, target: e.target });
  }
  return out;
}

/** `npm pack` of this repository (built): the tarball the hosts install. */
export function packTarball(into: string): string {
  mkdirSync(into, { recursive: true });
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', into], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  const name = (JSON.parse(out) as { filename: string }[])[0]?.filename as string;
  return join(into, name);
}
