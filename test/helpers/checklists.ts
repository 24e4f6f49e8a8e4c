import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ChecklistContext } from '../../src/checklists/types.js';
import { systemClock } from '../../src/core/clock.js';
import { runProcess } from '../../src/core/process.js';
import { workspaceAt } from '../../src/core/workspace.js';
import { emptyState } from '../../src/ledger/schema.js';
import { loadPlan } from '../../src/plan/index.js';
import type { Plan } from '../../src/plan/types.js';

/** Writes `migration/plan.yaml` into `dir` and loads it the way the CLI does. */
export async function planIn(
  dir: string,
  yaml: string,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<Plan> {
  mkdirSync(join(dir, 'migration'), { recursive: true });
  writeFileSync(join(dir, 'migration', 'plan.yaml'), yaml);
  return loadPlan({ workspace: workspaceAt(dir), processEnv });
}

/** A checklist context over a real workspace with the real process runner. */
export function contextFor(
  dir: string,
  plan: Plan,
  phaseId: number,
  overrides: Partial<ChecklistContext> = {},
): ChecklistContext {
  const phase = plan.phases.find((p) => p.id === phaseId);
  if (!phase) throw new Error(`no phase ${phaseId}`);
  return {
    ws: workspaceAt(dir),
    plan,
    phase,
    state: emptyState(),
    mode: 'check',
    runner: runProcess,
    clock: systemClock,
    processEnv: process.env,
    acks: new Set(),
    ...overrides,
  };
}

const servers: (Server | NetServer)[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/**
 * An HTTP server on 127.0.0.1 for the http checks, closed after the test: `/ok` 200 "status:
 * ok", `/fail` 500, `/slow` never answers, `/wrong` 200 with another body, `/flaky` 503 twice
 * then 200.
 */
export async function startHttpServer(): Promise<{ base: string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/ok')
      res.writeHead(200, { 'content-type': 'text/plain', 'x-app': 'genro-asgi' }).end('status: ok\n');
    else if (path === '/fail') res.writeHead(500).end('boom\n');
    else if (path === '/slow')
      return; // never answers
    else if (path === '/wrong') res.writeHead(200).end('maintenance\n');
    else if (path === '/flaky') {
      if ((hits.get(path) ?? 0) <= 2) res.writeHead(503).end('starting\n');
      else res.writeHead(200).end('status: ok\n');
    } else res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { base: `http://127.0.0.1:${address.port}`, hits };
}

/** A listening TCP port (or unix socket path), closed after the test. */
export async function listen(target: number | string = 0): Promise<{ port: number; path?: string }> {
  const server = createNetServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((resolve) =>
    typeof target === 'string' ? server.listen(target, resolve) : server.listen(target, '127.0.0.1', resolve),
  );
  const address = server.address();
  if (typeof address === 'string') return { port: 0, path: address };
  return { port: address?.port ?? 0 };
}

/** A port that was free a moment ago: bound, read, closed. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no address');
  return address.port;
}

/** Alive, and not a zombie waiting for a reaper (a killed orphan may linger as one). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls until `pid` is gone or `ms` passes (a SIGKILL takes a moment to land). */
export async function waitDead(pid: number, ms = 5_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !processAlive(pid);
}

/**
 * A small XML well-formedness check (no dependency): balanced tags, quoted attributes, only
 * the five named entities or numeric ones, no raw `<` or `&` in text.
 */
export function assertWellFormedXml(xml: string): void {
  let rest = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const entity = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    const text = lt === -1 ? rest : rest.slice(0, lt);
    if (/&/.test(text.replace(entity, ''))) throw new Error(`raw & in text: ${text.slice(0, 80)}`);
    if (/>/.test(text) && stack.length === 0 && text.trim())
      throw new Error(`text outside the root: ${text}`);
    if (lt === -1) break;
    const gt = rest.indexOf('>', lt);
    if (gt === -1) throw new Error('unterminated tag');
    const tag = rest.slice(lt + 1, gt);
    rest = rest.slice(gt + 1);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
      continue;
    }
    const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)$/.exec(tag);
    if (!m) throw new Error(`malformed tag <${tag.slice(0, 120)}>`);
    const attrs = m[2] ?? '';
    if (/&/.test(attrs.replace(entity, ''))) throw new Error(`raw & in attributes of <${m[1]}>`);
    if (m[3] !== '/') stack.push(m[1] as string);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
}
