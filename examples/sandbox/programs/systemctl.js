// @ts-check
// Sandbox stand-in for `systemctl` (start|stop|restart|reload|status|is-active|enable|disable).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { err, out } from '../lib/cli.js';
import {
  isAlive,
  killProcess,
  parseIni,
  readPid,
  rmrf,
  sleep,
  spawnDaemon,
  splitCommand,
  which,
} from '../lib/common.js';

export async function run({ P, argv, fault }) {
  const args = argv.filter((a) => !a.startsWith('--'));
  const [cmd, ...units] = args;
  const unitName = (u) => (u.includes('.') ? u : `${u}.service`);
  const unitFile = (u) => join(P.systemdDir, unitName(u));
  const pidFile = (u) => join(P.systemdRun, `${unitName(u)}.pid`);
  const readUnit = (u) => {
    const f = unitFile(u);
    if (!existsSync(f)) return null;
    return parseIni(readFileSync(f, 'utf8'));
  };
  const active = (u) => isAlive(readPid(pidFile(u)));
  if (cmd === 'daemon-reload') return 0;
  if (!cmd || units.length === 0) {
    err(`Too few arguments.`);
    return 1;
  }
  let code = 0;
  for (const u of units) {
    const unit = readUnit(u);
    if (!unit) {
      err(
        `${cmd === 'status' ? `Unit ${unitName(u)} could not be found.` : `Failed to ${cmd} ${unitName(u)}: Unit ${unitName(u)} not found.`}`,
      );
      code = cmd === 'status' ? 4 : 5;
      continue;
    }
    if (fault === 'fail' && cmd !== 'status' && cmd !== 'is-active') {
      err(
        `Job for ${unitName(u)} failed because the control process exited with error code.`,
        `See "systemctl status ${unitName(u)}" and "journalctl -xeu ${unitName(u)}" for details.`,
      );
      code = 1;
      continue;
    }
    const svc = unit.Service ?? {};
    const start = async () => {
      if (active(u)) return true;
      const argv2 = splitCommand(svc.ExecStart ?? '');
      const pid = spawnDaemon({
        root: P.root,
        argv: argv2,
        env: process.env,
        logFile: join(P.logs, 'journal', `${unitName(u)}.log`),
        pidFile: pidFile(u),
      });
      await sleep(300);
      if (!isAlive(pid)) {
        rmrf(pidFile(u));
        err(
          `Job for ${unitName(u)} failed because the control process exited with error code.`,
          `See "systemctl status ${unitName(u)}" and "journalctl -xeu ${unitName(u)}" for details.`,
        );
        return false;
      }
      return true;
    };
    const stop = async () => {
      const pid = readPid(pidFile(u));
      if (isAlive(pid)) await killProcess(pid, 10_000);
      rmrf(pidFile(u));
    };
    switch (cmd) {
      case 'start':
        if (!(await start())) code = 1;
        break;
      case 'stop':
        await stop();
        break;
      case 'restart':
        await stop();
        if (!(await start())) code = 1;
        break;
      case 'reload':
      case 'reload-or-restart': {
        if (!active(u)) {
          if (cmd === 'reload-or-restart') {
            if (!(await start())) code = 1;
            break;
          }
          err(`${unitName(u)} is not active, cannot reload.`);
          code = 1;
          break;
        }
        if (!svc.ExecReload) {
          err(`Failed to reload ${unitName(u)}: Job type reload is not applicable for unit ${unitName(u)}.`);
          code = 1;
          break;
        }
        const [prog, ...rest] = splitCommand(
          svc.ExecReload.replace(/\$MAINPID/g, String(readPid(pidFile(u)))),
        );
        const r = spawnSync(which(prog, process.env.PATH) ?? prog, rest, {
          stdio: ['ignore', 'inherit', 'inherit'],
          env: process.env,
        });
        if (r.status !== 0) {
          err(`Job for ${unitName(u)} failed because the control process exited with error code.`);
          code = 1;
        }
        break;
      }
      case 'is-active':
        out(active(u) ? 'active' : 'inactive');
        if (!active(u)) code = 3;
        break;
      case 'status': {
        const pid = readPid(pidFile(u));
        out(
          `● ${unitName(u)} - ${unit.Unit?.Description ?? u}`,
          `     Loaded: loaded (${unitFile(u)}; enabled)`,
        );
        out(
          active(u) ? `     Active: active (running)\n   Main PID: ${pid}` : '     Active: inactive (dead)',
        );
        if (!active(u)) code = 3;
        break;
      }
      case 'enable':
      case 'disable':
        out(cmd === 'enable' ? `Created symlink ${unitFile(u)}.` : `Removed ${unitFile(u)}.`);
        break;
      case 'is-enabled':
        out('enabled');
        break;
      default:
        err(`Unknown command verb ${cmd}.`);
        return 1;
    }
  }
  return code;
}
