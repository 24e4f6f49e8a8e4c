// @ts-check
// Sandbox stand-in for `supervisorctl` (reread, update, start, stop, restart, status, pid, avail,
// tail). There is no supervisord: the stand-in keeps supervisord's state in run/supervisor/.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Exit, err, out, said } from '../lib/cli.js';
import {
  isAlive,
  killProcess,
  parseIni,
  readPid,
  rmrf,
  sleep,
  spawnDaemon,
  splitCommand,
} from '../lib/common.js';

function supervisorFiles(P) {
  const conf = parseIni(readFileSync(P.supervisorConf, 'utf8'));
  const patterns = (conf.include?.files ?? '').split(/\s+/).filter(Boolean);
  const files = [];
  for (const pattern of patterns) {
    const full = resolve(dirname(P.supervisorConf), pattern);
    const dir = dirname(full);
    const re = new RegExp(
      `^${basename(full)
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')}$`,
    );
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (re.test(f)) files.push(join(dir, f));
  }
  return files;
}

function parseEnvironment(value) {
  const env = {};
  for (const m of (value ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|'([^']*)'|([^,]*))/g))
    env[m[1]] = m[2] ?? m[3] ?? m[4] ?? '';
  return env;
}

/** The programs the conf files define now: name → normalised config. Throws CANT_REREAD text. */
function readPrograms(P) {
  const programs = {};
  for (const file of supervisorFiles(P)) {
    let sections;
    try {
      sections = parseIni(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`CANT_REREAD: ${e.message} (file: '${file}')`);
    }
    for (const [section, kv] of Object.entries(sections)) {
      if (!section.startsWith('program:')) continue;
      const name = section.slice(8);
      if (programs[name]) throw new Error(`CANT_REREAD: program ${name} is defined twice (file: '${file}')`);
      if (!kv.command)
        throw new Error(
          `CANT_REREAD: program section ${section} does not specify a command (file: '${file}')`,
        );
      programs[name] = {
        command: kv.command,
        directory: kv.directory ?? null,
        environment: parseEnvironment(kv.environment),
        autostart: (kv.autostart ?? 'true') !== 'false',
        startsecs: Number(kv.startsecs ?? 1),
        stopwaitsecs: Number(kv.stopwaitsecs ?? 10),
        stdout_logfile: kv.stdout_logfile ?? null,
        priority: Number(kv.priority ?? 999),
      };
    }
  }
  return programs;
}

function loadState(P) {
  try {
    return JSON.parse(readFileSync(join(P.supervisorRun, 'state.json'), 'utf8'));
  } catch {
    return { programs: {} };
  }
}
function saveState(P, state) {
  mkdirSync(P.supervisorRun, { recursive: true });
  writeFileSync(join(P.supervisorRun, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}
const pidFileOf = (P, name) => join(P.supervisorRun, `${name}.pid`);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function startProgram(P, state, name) {
  const prog = state.programs[name];
  const pid = readPid(pidFileOf(P, name));
  if (isAlive(pid)) return { ok: false, line: `${name}: ERROR (already started)` };
  const logFile = prog.config.stdout_logfile ?? join(P.logs, 'supervisor', `${name}.log`);
  const argv = splitCommand(prog.config.command);
  const newPid = spawnDaemon({
    root: P.root,
    argv,
    cwd: prog.config.directory ?? P.root,
    env: { ...process.env, ...prog.config.environment, SUPERVISOR_PROCESS_NAME: name },
    logFile,
    pidFile: pidFileOf(P, name),
  });
  const deadline = Date.now() + Math.max(0, prog.config.startsecs) * 1000;
  while (Date.now() < deadline) {
    if (!isAlive(newPid)) break;
    await sleep(50);
  }
  if (!isAlive(newPid)) {
    prog.status = 'FATAL';
    rmrf(pidFileOf(P, name));
    return { ok: false, line: `${name}: ERROR (spawn error)` };
  }
  prog.status = 'RUNNING';
  prog.started = Date.now();
  return { ok: true, line: `${name}: started` };
}

async function stopProgram(P, state, name) {
  const prog = state.programs[name];
  const pid = readPid(pidFileOf(P, name));
  if (!isAlive(pid)) {
    rmrf(pidFileOf(P, name));
    if (prog) prog.status = prog.status === 'RUNNING' ? 'EXITED' : (prog.status ?? 'STOPPED');
    return { ok: false, line: `${name}: ERROR (not running)` };
  }
  await killProcess(pid, (prog?.config.stopwaitsecs ?? 10) * 1000);
  rmrf(pidFileOf(P, name));
  if (prog) prog.status = 'STOPPED';
  return { ok: true, line: `${name}: stopped` };
}

export async function run({ P, argv, fault }) {
  const rest = [...argv];
  const ci = rest.indexOf('-c');
  if (ci !== -1) rest.splice(ci, 2); // `-c <supervisord.conf>`: the sandbox has one
  const [cmd, ...names] = rest;
  if (fault === 'fail') {
    err(
      "error: <class 'ConnectionRefusedError'>, [Errno 111] Connection refused: file: /usr/lib/python3/dist-packages/supervisor/xmlrpc.py line: 560",
    );
    return 1;
  }
  if (fault === 'corrupt') {
    const files = supervisorFiles(P);
    const target = files.find((f) => names.some((n) => basename(f).startsWith(n))) ?? files[0];
    if (target) writeFileSync(target, `${readFileSync(target, 'utf8').slice(0, 40)}\n[program\ncommand\n`);
  }
  const state = loadState(P);
  let current;
  const reread = () => {
    current = readPrograms(P);
    const added = Object.keys(current).filter((n) => !state.programs[n]);
    const changed = Object.keys(current).filter(
      (n) => state.programs[n] && !same(state.programs[n].config, current[n]),
    );
    const removed = Object.keys(state.programs).filter((n) => !current[n]);
    return { added, changed, removed };
  };
  try {
    switch (cmd) {
      case 'reread': {
        const { added, changed, removed } = reread();
        if (!added.length && !changed.length && !removed.length) out('No config updates to processes');
        for (const n of added) out(`${n}: available`);
        for (const n of changed) out(`${n}: changed`);
        for (const n of removed) out(`${n}: disappeared`);
        return 0;
      }
      case 'update': {
        const { added, changed, removed } = reread();
        const only = names.filter((n) => n !== 'all');
        const pick = (list) => (only.length ? list.filter((n) => only.includes(n)) : list);
        let ok = true;
        // In the order given (a daemon before the servers that need it), else removed, changed, added.
        const byPriority = (list) =>
          [...list].sort((a, b) => (current[a]?.priority ?? 999) - (current[b]?.priority ?? 999));
        const order = only.length ? only : [...removed, ...byPriority(changed), ...byPriority(added)];
        for (const n of order) {
          if (pick(removed).includes(n)) {
            if (isAlive(readPid(pidFileOf(P, n)))) out((await stopProgram(P, state, n)).line);
            delete state.programs[n];
            out(`${n}: removed process group`);
          } else if (pick(changed).includes(n)) {
            if (isAlive(readPid(pidFileOf(P, n)))) out((await stopProgram(P, state, n)).line);
            state.programs[n] = { config: current[n], status: 'STOPPED' };
            out(`${n}: updated process group`);
            if (current[n].autostart) {
              const r = await startProgram(P, state, n);
              if (!r.ok) out(r.line);
              ok &&= r.ok;
            }
          } else if (pick(added).includes(n)) {
            state.programs[n] = { config: current[n], status: 'STOPPED' };
            out(`${n}: added process group`);
            if (current[n].autostart) {
              const r = await startProgram(P, state, n);
              if (!r.ok) out(r.line);
              ok &&= r.ok;
            }
          } else if (only.includes(n) && !current[n] && !state.programs[n]) {
            out(`${n}: ERROR (no such group)`);
            ok = false;
          }
        }
        saveState(P, state);
        return ok ? 0 : 1;
      }
      case 'start':
      case 'stop':
      case 'restart': {
        const targets = names.includes('all') ? Object.keys(state.programs) : names;
        if (targets.length === 0) {
          err(`Error: ${cmd} requires a process name`);
          return 2;
        }
        let ok = true;
        for (const n of targets) {
          if (!state.programs[n]) {
            out(`${n}: ERROR (no such process)`);
            ok = false;
            continue;
          }
          if (cmd !== 'start') {
            const r = await stopProgram(P, state, n);
            if (cmd === 'stop') {
              out(r.line);
              ok &&= r.ok;
            } else if (r.ok) out(r.line);
          }
          if (cmd !== 'stop') {
            const r = await startProgram(P, state, n);
            out(r.line);
            ok &&= r.ok;
          }
        }
        saveState(P, state);
        return ok ? 0 : 1;
      }
      case 'status': {
        const targets = names.length ? names : Object.keys(state.programs).sort();
        let code = 0;
        for (const n of targets) {
          const prog = state.programs[n];
          if (!prog) {
            out(`${n}: ERROR (no such process)`);
            code = 4;
            continue;
          }
          const pid = readPid(pidFileOf(P, n));
          if (isAlive(pid)) {
            const up = Math.round((Date.now() - (prog.started ?? Date.now())) / 1000);
            const hms = `${Math.floor(up / 3600)}:${String(Math.floor((up % 3600) / 60)).padStart(2, '0')}:${String(up % 60).padStart(2, '0')}`;
            out(`${n.padEnd(33)}RUNNING   pid ${pid}, uptime ${hms}`);
          } else {
            const status = prog.status === 'RUNNING' ? 'EXITED' : (prog.status ?? 'STOPPED');
            out(
              `${n.padEnd(33)}${status.padEnd(10)}${status === 'STOPPED' ? 'Not started' : new Date().toUTCString()}`,
            );
            code = Math.max(code, 3);
          }
        }
        return code;
      }
      case 'pid': {
        const pid = readPid(pidFileOf(P, names[0] ?? ''));
        out(isAlive(pid) ? String(pid) : '0');
        return isAlive(pid) ? 0 : 1;
      }
      case 'tail': {
        // `tail <name> [stdout|stderr]`: the end of the program's log (stderr shares it here).
        const prog = state.programs[names[0] ?? ''];
        if (!prog) return said(out, 1, `${names[0]}: ERROR (no such process name)`);
        const logFile = prog.config.stdout_logfile ?? join(P.logs, 'supervisor', `${names[0]}.log`);
        const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
        process.stdout.write(text.slice(-1600));
        return 0;
      }
      case 'avail': {
        current = readPrograms(P);
        for (const n of Object.keys(current).sort())
          out(`${n.padEnd(33)}${state.programs[n] ? 'in use' : 'avail'}    auto      999:999`);
        return 0;
      }
      default:
        err(`*** Unknown syntax: ${argv.join(' ')}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof Exit) throw e;
    if (String(e.message).startsWith('CANT_REREAD')) {
      out(`ERROR: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
