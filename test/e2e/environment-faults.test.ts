import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binPath, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Faults of the machine are operator errors (exit 2, 4 for the lock) that name the path and say
 * what to fix: never exit 70 with a stack, never a hang, never unbounded memory.
 */
const plan = `version: 1
project: faults
systems:
  conf: { path: conf }
path: [0]
phases:
  - { id: 0, title: Zero, backup: [conf], checks: [ { id: ok, run: [node, -e, "0"] } ] }
`;

function workspace(planText = plan): string {
  const ws = tempDir();
  mkdirSync(join(ws, 'migration'));
  mkdirSync(join(ws, 'conf'));
  writeFileSync(join(ws, 'conf', 'a.conf'), 'x\n');
  if (planText) writeFileSync(join(ws, 'migration', 'plan.yaml'), planText);
  return ws;
}

const mkfifo = (path: string) => expect(spawnSync('mkfifo', [path]).status).toBe(0);

async function operatorError(args: string[], ws: string, pattern: RegExp, code = 2) {
  const r = await runCli(args, { cwd: ws, timeoutMs: 20_000 });
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.code, r.stderr).toBe(code);
}

describe('environment faults are operator errors', () => {
  it('a plan or ledger that is a FIFO is refused at once, not waited on', async () => {
    const ws = workspace('');
    mkfifo(join(ws, 'migration', 'plan.yaml'));
    await operatorError(['status'], ws, /plan\.yaml: the plan must be a regular file, but this is a FIFO/);
    const ws2 = workspace();
    mkfifo(join(ws2, 'migration', 'state.json'));
    await operatorError(
      ['status'],
      ws2,
      /state\.json: the ledger must be a regular file, but this is a FIFO/,
    );
  });

  it('a plan or ledger on /dev/zero is refused, not read into memory', async () => {
    const ws = workspace('');
    symlinkSync('/dev/zero', join(ws, 'migration', 'plan.yaml'));
    await operatorError(
      ['plan', 'validate'],
      ws,
      /the plan must be a regular file, but this is a character device/,
    );
    const ws2 = workspace();
    symlinkSync('/dev/zero', join(ws2, 'migration', 'state.json'));
    await operatorError(['status'], ws2, /the ledger must be a regular file, but this is a character device/);
  });

  it('migration/.lock as a folder: exit 4 saying what to remove', async () => {
    const ws = workspace();
    mkdirSync(join(ws, 'migration', '.lock'));
    await operatorError(
      ['backup', 'create'],
      ws,
      /\.lock: the lock must be a regular file, but this is a folder.*rm -r/,
      4,
    );
  });

  it('backups/ as a file, and a --junit path that cannot be made, name the path', async () => {
    const ws = workspace();
    writeFileSync(join(ws, 'backups'), '');
    await operatorError(['backup', 'create'], ws, /backups: a part of the path is a file, not a folder/);
    await operatorError(['backup', 'list'], ws, /backups: a part of the path is a file, not a folder/);
    const file = join(ws, 'conf', 'a.conf');
    await operatorError(
      ['check', '--junit', join(file, 'x.xml')],
      ws,
      /cannot write the JUnit report .*a\.conf is not a folder/,
    );
    // /proc/nope cannot be created although /proc exists: Node's recursive mkdir loops on it.
    await operatorError(
      ['check', '--junit', '/proc/nope/x.xml'],
      ws,
      /cannot create the folder \/proc\/nope/,
    );
  });

  it('a read-only migration/ and an unwritable backups/ (as an unprivileged user)', async () => {
    const ws = workspace();
    const asUser =
      process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    if (asUser.length && spawnSync('sh', ['-c', 'command -v setpriv']).status !== 0) return;
    chmodSync(ws, 0o755);
    chmodSync(join(ws, 'migration'), 0o555);
    const run = (args: string[]) =>
      spawnSync(
        asUser[0] ?? process.execPath,
        [...asUser.slice(1), ...(asUser.length ? [process.execPath] : []), binPath, ...args],
        {
          cwd: ws,
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1', HOME: ws, GNR_MIGRATE_CACHE: '0' },
          timeout: 20_000,
        },
      );
    const ro = run(['backup', 'create']);
    expect(ro.stderr).toMatch(/migration.*permission denied/);
    expect(ro.status, ro.stderr).toBe(2);
    chmodSync(join(ws, 'migration'), 0o777);
    mkdirSync(join(ws, 'backups'), { mode: 0o555 });
    chmodSync(join(ws, 'backups'), 0o555);
    const nb = run(['backup', 'create']);
    expect(nb.stderr).toMatch(/backups.*permission denied/);
    expect(nb.status, nb.stderr).toBe(2);
  });

  it('a YAML alias bomb and a var cycle are plan errors; the cycle is reported alone', async () => {
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    ].join('\n');
    await operatorError(['plan', 'validate'], workspace(bomb), /YAML aliases expand too far/);
    const cyc = plan
      .replace('systems:', 'vars:\n  a: "${b}"\n  b: "${a}"\n  c: "${a}/x"\n  d: fine\nsystems:')
      .replace('path: conf', 'path: "${d}/${c}"');
    const r = await runCli(['plan', 'validate'], { cwd: workspace(cyc) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cycle: \$\{a\} → \$\{b\} → \$\{a\}/);
    expect(r.stderr).not.toMatch(/has no value/);
    expect(r.stderr).toMatch(/the plan is invalid:\n/);
  });
});

describe('streams', () => {
  it('results go to stdout, and a closed pipe ends the command quietly with exit 0', () => {
    const ws = workspace();
    const sh = (line: string) =>
      spawnSync('sh', ['-c', `${line}; echo "rc=$?" >&2`], {
        cwd: ws,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
    // `set -o pipefail` is not POSIX: ask node's exit code through a subshell file.
    const piped = (cmd: string, reader: string) =>
      sh(`(node ${JSON.stringify(binPath)} ${cmd}; echo $? > rc) | ${reader}; cat rc >&2`);
    const schema = piped('plan schema', 'head -1');
    expect(schema.stdout).toBe('{\n');
    expect(schema.stderr).not.toMatch(/EPIPE|Error/);
    expect(schema.stderr).toMatch(/^0\n/);
    const status = piped('status', 'head -3');
    expect(status.stdout.split('\n')[0]).toMatch(/^gnr-migrate · faults/);
    expect(status.stderr).toMatch(/^0\n/);
    expect(piped('plan', 'head -1').stdout).toMatch(/^faults · /);
    expect(Number(piped('backup list', 'wc -l').stdout.trim())).toBe(1);
  });
});
