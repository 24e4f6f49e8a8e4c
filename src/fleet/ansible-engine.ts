import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../core/errors.js';
import { type ProcessRunner, runProcess } from '../core/process.js';
import { type FleetEngine, type PlaybookOutcome, type PlaybookRequest, parseRecap } from './engine.js';

/**
 * The engine as Debian's `ansible-core` provides it: `ansible-inventory --list` for the fleet,
 * `ansible-playbook` for the work. Ansible's own configuration (ansible.cfg, ANSIBLE_* in the
 * environment, SSH options in the inventory) applies as it would for the operator.
 */

const install = 'install ansible-core (Debian: apt-get install ansible-core)';

/** No colour in logs we parse; no .retry files beside the operator's playbook. */
const ansibleEnv = { ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', PYTHONUNBUFFERED: '1' };

export function ansibleEngine(
  runner: ProcessRunner = runProcess,
  env: Record<string, string> = {},
): FleetEngine {
  return {
    async listInventory(file) {
      const r = await runner({
        kind: 'run',
        argv: ['ansible-inventory', '-i', file, '--list'],
        env: { ...ansibleEnv, ...env },
        timeoutMs: 5 * 60_000,
      });
      if (r.startError) throw new InputError(`cannot read the inventory: ${r.startError}; ${install}`);
      // ansible-inventory warns (exit 0) when the file is missing or unparsable: treat its
      // warnings about the source as errors, since an empty fleet is never what was meant.
      const unparsed = /Unable to parse|No inventory was parsed|did not meet/i.exec(r.stderr);
      if (r.exitCode !== 0 || unparsed) {
        throw new InputError(
          `${file}: ansible-inventory could not read it:\n${(r.stderr || r.stdout).trim().split('\n').slice(-6).join('\n')}`,
        );
      }
      try {
        return JSON.parse(r.stdout) as unknown;
      } catch {
        throw new InputError(`${file}: ansible-inventory printed no JSON inventory`);
      }
    },

    async runPlaybook(req: PlaybookRequest): Promise<PlaybookOutcome> {
      // Extra vars through a file: argv lists and paths with spaces survive as they are.
      const varsFile = join(dirname(req.logFile), `${basenameNoExt(req.logFile)}.vars.json`);
      await writeFile(varsFile, `${JSON.stringify(req.extraVars, null, 2)}\n`);
      const argv = [
        'ansible-playbook',
        '-i',
        req.inventory,
        req.playbook,
        '--limit',
        req.hosts.join(','),
        '-e',
        `@${varsFile}`,
        ...(req.forks ? ['--forks', String(req.forks)] : []),
      ];
      const r = await runner({
        kind: 'run',
        argv,
        env: { ...ansibleEnv, ...env },
        // A wave may hold long phases; the hosts' own step timeouts bound it.
        timeoutMs: 24 * 3600_000,
        logFile: req.logFile,
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.onLine ? { onLine: (line: string) => req.onLine?.(line) } : {}),
      });
      if (r.startError) return fail(`cannot run ansible-playbook: ${r.startError}; ${install}`, r.durationMs);
      return {
        exitCode: r.exitCode,
        recap: parseRecap(r.stdout),
        durationMs: r.durationMs,
        interrupted: r.aborted,
        ...(r.exitCode !== 0 && !/PLAY RECAP/.test(r.stdout)
          ? {
              error: `ansible-playbook exited ${r.exitCode ?? r.signal}: ${r.tail.trim().split('\n').slice(-6).join('\n')}`,
            }
          : {}),
      };
    },
  };
}

function fail(error: string, durationMs: number): PlaybookOutcome {
  return { exitCode: null, recap: {}, durationMs, interrupted: false, error };
}

function basenameNoExt(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
