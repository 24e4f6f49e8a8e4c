#!/usr/bin/env node
// `npm run demo`: gnr-migrate on a sandbox Genropy host, from WSGI + gnrdaemon to genro-asgi
// and back, with the unmodified default plan. Real files, real processes, real ports on
// 127.0.0.1; nothing outside a temp folder is touched. Every process the sandbox starts is
// stopped at the end, whatever happens. The files stay, for you to look at.
//
// The same flow is the end-to-end test test/e2e/demo-flow.test.ts: it imports runDemo and
// asserts at each checkpoint.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandbox } from './sandbox/sandbox.js';

const bin = fileURLToPath(new URL('../bin/gnr-migrate.js', import.meta.url));
// The gate judges fixed metrics files, not two live load tests (a busy machine must not fail it).
const fixedMetrics = fileURLToPath(new URL('./metrics/', import.meta.url));
const useColor = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
const bold = (s) => (useColor ? `\x1b[1m${s}\x1b[22m` : s);
const dim = (s) => (useColor ? `\x1b[2m${s}\x1b[22m` : s);
const cyan = (s) => (useColor ? `\x1b[36m${s}\x1b[39m` : s);

/** The unreleased upstream capabilities the demo asks the sandbox to stand in for. */
const standIns = [
  { flag: 'wsgi_bridge', what: 'a WSGI bridge in genro-asgi (ASGI wraps WSGI)', phase: '0, 3' },
  { flag: 'resident_pages', what: 'resident pages in genropy-asgi', phase: 5 },
  { flag: 'nats', what: 'NATS notifications and |pNN page ids in genropy-asgi', phase: 7 },
];
/**
 * @typedef {{ code: number | null, stdout: string, stderr: string }} CliResult
 * @typedef {object} DemoContext
 * @property {Awaited<ReturnType<typeof createSandbox>>} sb
 * @property {string} ws the gnr-migrate workspace (migration/, backups/)
 * @property {(args: string[], opts?: { env?: Record<string, string>, capture?: boolean }) => Promise<CliResult>} cli
 */

/**
 * Runs the demo. `checkpoint(stage, ctx, result)` is awaited after each stage (the test asserts
 * there); `log` receives the narration. Resolves with the workspace folder.
 * @param {{ checkpoint?: (stage: string, ctx: DemoContext, result?: CliResult) => Promise<void> | void,
 *           log?: (line: string) => void, capture?: boolean, keepFiles?: boolean }} [options]
 */
export async function runDemo(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const checkpoint = options.checkpoint ?? (() => {});
  const capture = options.capture ?? false;

  log(bold('gnr-migrate demo — a Genropy host from WSGI + gnrdaemon to genro-asgi, and back'));
  log(dim('Building a sandbox Genropy host (real files, real listeners on 127.0.0.1)…'));
  const sb = await createSandbox({ unreleased: standIns.map((s) => s.flag) });
  const stopOnSignal = () => {
    sb.stop({ remove: false }).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const ws = join(sb.root, 'deploy');
  // migration/ makes it a workspace: `--cwd` to a folder without one is refused for commands
  // that change things (no second ledger by accident). No plan.yaml: the embedded default.
  mkdirSync(join(ws, 'migration'), { recursive: true });

  /** @type {DemoContext['cli']} */
  const cli = (args, opts = {}) => {
    const full = [...args, '--cwd', ws, ...sb.varArgs()];
    if (!capture)
      log(cyan(`\n$ gnr-migrate ${args.join(' ')}`) + dim(' --var … (the sandbox paths and ports)'));
    return runBinary(
      full,
      { ...process.env, ...sb.env, ...(opts.env ?? {}) },
      capture || opts.capture === true,
    );
  };
  const ctx = { sb, ws, cli };
  let failed;
  const expectCode = (result, code, what) => {
    if (result.code !== code) {
      throw new Error(
        `${what}: gnr-migrate exited ${result.code}, expected ${code}${result.stderr ? `\n${result.stderr.slice(-3000)}` : ''}`,
      );
    }
  };

  try {
    log(`Sandbox: ${sb.root}`);
    log(
      `  nginx :${sb.ports.nginx} → gunicorn :${sb.ports.gunicorn}, /websocket → gnrasync :${sb.ports.async}, gnrdaemon :${sb.ports.daemon}`,
    );
    log(
      `  workspace (migration/, backups/): ${ws} — no plan.yaml there, so the embedded default plan is used`,
    );
    log(bold('\n  Upstream has not released everything this path needs. The sandbox STANDS IN for:'));
    for (const s of standIns) log(`    ${s.flag.padEnd(15)} ${s.what} (phase ${s.phase})`);
    log(
      dim(
        "  (GNR_SANDBOX_UNRELEASED; without it the plan's capability checks block, as they do on a real host.\n" +
          '   What a real host proves: README, "What is proven on a real host, and what only in the sandbox".)',
      ),
    );
    await checkpoint('sandbox', ctx);

    section(log, '1. What would phase 0 do? (checks run for real, nothing is written)');
    const dry = await cli(['phase', '0', '--dry-run', '--ack', 'team_notified']);
    expectCode(dry, 0, 'phase 0 --dry-run');
    await checkpoint('dry-run', ctx, dry);

    section(log, '2. Apply the path 0 → 3 → 4 → 5 → 6 → 7');
    for (const id of [0, 3, 4, 5, 6, 7]) {
      // An --ack names an ack check of that phase (an unknown one is refused): phase 4 also
      // asks that the forced re-login was announced.
      const acks = id === 4 ? ['team_notified', 'relogin_announced'] : ['team_notified'];
      const r = await cli(['phase', String(id), '--yes', ...acks.flatMap((a) => ['--ack', a])]);
      expectCode(r, 0, `phase ${id}`);
      await checkpoint(`phase-${id}`, ctx, r);
    }

    section(log, '3. Where the migration stands');
    const status = await cli(['status']);
    expectCode(status, 0, 'status');
    await checkpoint('status', ctx, status);

    section(log, '4. The CI gate before deploying phase 7 (fixed metrics files: examples/metrics/)');
    const gate = await cli([
      'gate',
      '--phase',
      '7',
      '--metrics',
      join(fixedMetrics, 'metrics-phase-6.json'),
      '--baseline',
      join(fixedMetrics, 'baseline-phase-0.json'),
      '--ack',
      'team_notified',
      '--junit',
      join(ws, 'reports', 'gate.xml'),
    ]);
    expectCode(gate, 0, 'gate');
    await checkpoint('gate', ctx, gate);

    section(
      log,
      '5. Roll phase 7 back, then re-apply it with a failure injected (gnrasgiserve cannot start)',
    );
    const back = await cli(['rollback', '--yes', '--reason', 'demo: re-apply phase 7']);
    expectCode(back, 0, 'rollback');
    await checkpoint('rollback-7', ctx, back);
    const failing = await cli(['phase', '7', '--yes', '--ack', 'team_notified'], {
      env: { GNR_SANDBOX_FAULT: 'gnrasgiserve:fail:1' },
    });
    expectCode(failing, 1, 'phase 7 with a fault (rolled back automatically)');
    await checkpoint('phase-7-failed', ctx, failing);
    const failures = await cli(['failures']);
    expectCode(failures, 0, 'failures');

    section(log, '6. Walk all the way back to phase 0');
    const toZero = await cli(['rollback', '--to', '0', '--yes', '--reason', 'demo: back to phase 0']);
    expectCode(toZero, 0, 'rollback --to 0');
    await checkpoint('rollback-to-0', ctx, toZero);
    const final = await cli(['status']);
    expectCode(final, 0, 'status');

    section(log, 'Where everything is');
    const show = (label, path) =>
      log(`  ${label.padEnd(16)} ${path}${existsSync(path) ? dim(`  (${count(path)})`) : ''}`);
    show('runbooks', join(ws, 'migration', 'rollback'));
    show('backups', join(ws, 'backups'));
    show('failure records', join(ws, 'migration', 'failures'));
    show('logs', join(ws, 'migration', 'logs'));
    show('ledger', join(ws, 'migration', 'state.json'));
    show('gate report', join(ws, 'reports', 'gate.xml'));
    log(`  ${'sandbox host'.padEnd(16)} ${sb.root}`);
    log(dim(`\nTry: npx gnr-migrate status --cwd ${ws}`));
  } catch (err) {
    failed = err;
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    const stopped = await sb.stop({ remove: !(options.keepFiles ?? true) });
    log(
      dim(
        `\nSandbox processes stopped (${stopped.killed} killed, ${stopped.open.length} ports left open). Remove the files with: rm -rf ${sb.root}`,
      ),
    );
  }
  // After the processes are stopped, whatever happened; the first failure is the one worth reading.
  try {
    await checkpoint('stopped', ctx);
  } catch (err) {
    failed ??= err;
  }
  if (failed) throw failed;
  return ws;
}

function section(log, title) {
  log(`\n${bold(title)}`);
}

function count(path) {
  try {
    const n = readdirSync(path).length;
    return `${n} ${n === 1 ? 'entry' : 'entries'}`;
  } catch {
    return 'a file';
  }
}

/** Runs the built binary; live on the terminal unless captured. */
function runBinary(args, env, capture) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env,
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c) => {
      stdout += c;
    });
    child.stderr?.on('data', (c) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runDemo().then(
    () => {
      process.exitCode = 0;
    },
    (err) => {
      process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
