import { Command, CommanderError, Option } from 'commander';
import type { CommandContext, GlobalOptions } from './commands/context.js';
import { workspaceFor } from './commands/context.js';
import { InputError } from './core/errors.js';
import { createOutput, type Streams } from './ui/output.js';

/**
 * Commander wiring only: options, arguments, help text. Each command's code is imported when
 * that command runs, so `status` does not pay for execa or listr2.
 */

export interface CliEnv {
  streams: Streams;
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
  interruptedBy(): 'SIGINT' | 'SIGTERM' | undefined;
  handleSignals(): void;
}

type Action = (ctx: CommandContext, ...args: unknown[]) => Promise<number>;

const exitCodesHelp = `
Exit codes:
  0    done; for --dry-run, check and gate: would proceed / passed
  1    a check, gate item, step or verify failed (a failed phase was rolled back)
  2    bad input: usage, plan file, metrics file, unknown phase or backup
  3    a rollback or restore failed: the system needs a person (the runbook path is printed)
  4    the workspace is locked by another run
  70   a defect in gnr-migrate itself (please report it with the message)
  130  interrupted by SIGINT, 143 by SIGTERM (failure recorded, lock released)`;

export async function runCli(argv: string[], cliEnv: CliEnv): Promise<number> {
  const { streams } = cliEnv;
  let exitCode = 0;

  const program = new Command('gnr-migrate');
  program
    .description(
      'Moves a Genropy deployment from WSGI + gnrdaemon to genro-asgi along the phase path 0 → 3 → 4 → 5 → 6 → 7:\n' +
        'checklist, verified backup, rollback runbook, recorded steps, verify, and one-command rollback.',
    )
    .version(await readVersion(), '-V, --version')
    .option('-C, --cwd <dir>', 'the workspace (default: the nearest folder upward holding migration/)')
    .option('--plan <file>', 'the plan file (default: migration/plan.yaml, else the embedded default plan)')
    .option('--env <name>', 'an environment of the plan whose vars and thresholds override the defaults')
    .option('--var <name=value>', 'set a plan var (repeatable; wins over --env)', collect, [])
    .option('--json', 'one JSON document on stdout; human text stays on stderr')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void streams.stdout.write(s),
      writeErr: (s) => void streams.stderr.write(s),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ gnr-migrate status                      where the migration stands
  $ gnr-migrate plan validate               check migration/plan.yaml
  $ gnr-migrate phase 0 --dry-run           what phase 0 would do, changing nothing
  $ gnr-migrate phase 0                     apply phase 0
  $ gnr-migrate rollback                    undo the current phase
  $ gnr-migrate gate --phase 3 --junit gate.xml   the CI gate before deploying phase 3
${exitCodesHelp}`,
    );

  const action =
    (load: () => Promise<{ run: Action }>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const global = command.optsWithGlobals() as GlobalOptions;
      const ws = workspaceFor(global, cliEnv.cwd);
      const ctx: CommandContext = {
        global,
        ws,
        out: createOutput(streams, cliEnv.env, Boolean(global.json)),
        processEnv: cliEnv.env,
        signal: cliEnv.signal,
        interruptedBy: cliEnv.interruptedBy,
        handleSignals: cliEnv.handleSignals,
        commandLine: ['gnr-migrate', ...argv].join(' '),
      };
      const { run } = await load();
      exitCode = await run(ctx, ...args.slice(0, -1));
    };

  program
    .command('status')
    .description('the path as a timeline, the current phase, the last run, the lock, backups and failures')
    .addHelpText('after', '\nExamples:\n  $ gnr-migrate status\n  $ gnr-migrate status --json | jq .current')
    .action(action(() => import('./commands/status.js')));

  const plan = program
    .command('plan')
    .description('show the resolved plan (vars interpolated); see also: plan validate, plan schema')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gnr-migrate plan\n  $ gnr-migrate plan --env staging --var daemon_port=40405\n  $ gnr-migrate plan validate migration/plan.yaml\n  $ gnr-migrate plan schema > plan.schema.json',
    )
    .action(action(() => import('./commands/plan-show.js')));
  plan
    .command('validate [file]')
    .description(
      'validate a plan file (default: the workspace plan); exit 2 with file:line:column when invalid',
    )
    .action(action(() => import('./commands/plan-validate.js')));
  plan
    .command('schema')
    .description('print the JSON Schema of the plan (generated from the same schema the tool validates with)')
    .action(action(() => import('./commands/plan-schema.js')));

  program
    .command('init')
    .description('write the default plan and its JSON Schema into migration/ for editing')
    .option('--force', 'overwrite an existing migration/plan.yaml')
    .addHelpText('after', '\nExamples:\n  $ gnr-migrate init\n  $ gnr-migrate init --cwd /srv/deploy --force')
    .action(action(() => import('./commands/init.js')));

  registerMore(program, action);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      ) {
        return 0;
      }
      // commander has already printed its message.
      return 2;
    }
    throw err;
  }
  return exitCode;
}

/** The commands of later capabilities register here, one block each. */
function registerMore(
  program: Command,
  action: (load: () => Promise<{ run: Action }>) => (...args: unknown[]) => Promise<void>,
): void {
  void program;
  void action;
  void Option;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InputError(`${name} ${value}: expected a whole number of 1 or more`);
    return n;
  };
}

async function readVersion(): Promise<string> {
  const { toolVersion } = await import('./core/version.js');
  return toolVersion();
}
