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

/** A command module's entry: commander's positional arguments, then its options object. */
type Action = (ctx: CommandContext, ...args: never[]) => Promise<number>;

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
    .option('--json', 'the result as one JSON document on stdout; progress and messages on stderr')
    .option('--events', 'with --json: progress as NDJSON events on stdout as it happens, the result last')
    .showHelpAfterError('(run with --help for usage)')
    // Every subcommand's --help lists --cwd, --plan, --env, --var and --json too.
    .configureHelp({ showGlobalOptions: true })
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

  // `result`: the command's human output is its result and goes to stdout (see ui/output.ts).
  const action =
    (load: () => Promise<{ run: Action }>, how: { result?: boolean } = {}) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const global = command.optsWithGlobals() as GlobalOptions;
      const ws = workspaceFor(global, cliEnv.cwd);
      const ctx: CommandContext = {
        global,
        ws,
        out: createOutput(streams, cliEnv.env, Boolean(global.json), {
          ...how,
          events: Boolean(global.events),
        }),
        processEnv: cliEnv.env,
        signal: cliEnv.signal,
        interruptedBy: cliEnv.interruptedBy,
        handleSignals: cliEnv.handleSignals,
        commandLine: ['gnr-migrate', ...argv].join(' '),
      };
      const { run } = await load();
      exitCode = await (run as (ctx: CommandContext, ...rest: unknown[]) => Promise<number>)(
        ctx,
        ...args.slice(0, -1),
      );
    };

  program
    .command('status')
    .description('the path as a timeline, the current phase, the last run, the lock, backups and failures')
    .addHelpText('after', '\nExamples:\n  $ gnr-migrate status\n  $ gnr-migrate status --json | jq .current')
    .action(action(() => import('./commands/status.js'), { result: true }));

  const plan = program
    .command('plan')
    .description('show the resolved plan (vars interpolated); see also: plan validate, plan schema')
    .option('--verbose', 'show multi-line commands and vars whole (default: their first line)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gnr-migrate plan\n  $ gnr-migrate plan --env staging --var daemon_port=40405\n  $ gnr-migrate plan validate migration/plan.yaml\n  $ gnr-migrate plan schema > plan.schema.json',
    )
    .action(action(() => import('./commands/plan-show.js'), { result: true }));
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

  program
    .command('completion <shell>')
    .description('print a shell completion script for bash, zsh or fish')
    .addHelpText(
      'after',
      '\nExamples:\n  $ eval "$(gnr-migrate completion bash)"     # in ~/.bashrc\n  $ eval "$(gnr-migrate completion zsh)"      # in ~/.zshrc\n  $ gnr-migrate completion fish > ~/.config/fish/completions/gnr-migrate.fish',
    )
    .action(async (shell: string) => {
      const { completionScript, completionShells } = await import('./ui/completion.js');
      if (!(completionShells as readonly string[]).includes(shell))
        throw new InputError(`completion ${shell}: expected one of ${completionShells.join(', ')}`);
      streams.stdout.write(completionScript(shell as 'bash', describeCommand(program)));
    });

  // The bare command is a usage error (exit 2), not a success: a script that forgot its
  // subcommand must not pass. Help goes to stderr, where a person sees it.
  if (argv.length === 0) {
    streams.stderr.write(program.helpInformation());
    return 2;
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      // `commander.help`: a command group given without its subcommand (`gnr-migrate backup`):
      // help was shown, and it is a usage error like the bare command.
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2;
      // commander has already printed its message.
      return 2;
    }
    throw err;
  }
  return exitCode;
}

/** The commands that act on the system: checks, phases, rollback, backups, failures, gate. */
function registerMore(
  program: Command,
  action: (
    load: () => Promise<{ run: Action }>,
    how?: { result?: boolean },
  ) => (...args: unknown[]) => Promise<void>,
): void {
  const concurrency = () =>
    new Option('--concurrency <n>', 'checks run at once').default(4).argParser(positiveInt('--concurrency'));
  const ack = () =>
    new Option('--ack <check-id>', 'acknowledge an `ack` check without a prompt (CI); repeatable')
      .argParser(collect)
      .default([]);

  program
    .command('check')
    .description("run a phase's pre-migration checklist (read-only); default: the next phase on the path")
    .option('--phase <id>', 'the phase whose checklist to run')
    .option('--junit <file>', 'also write a JUnit XML report (one test case per check)')
    .addOption(concurrency())
    .addOption(ack())
    .addHelpText(
      'after',
      '\nExamples:\n  $ gnr-migrate check\n  $ gnr-migrate check --phase 4 --junit reports/checklist.xml\n  $ gnr-migrate check --json | jq \'.results[] | select(.status != "pass")\'',
    )
    .action(action(() => import('./commands/check.js')));

  program
    .command('phase <id>')
    .description('apply one phase: checklist, backups, runbook, steps, verify; rolls back on failure')
    .option('--dry-run', 'show exactly what would happen and change nothing (checks run for real)')
    .option('--allow-deferred', 'allow a phase marked deferred (1 and 2 in the default plan)')
    .option('--force', 'apply even though the previous phase on the path is not the current one')
    .option('--resume', 're-run an interrupted run of this phase from its first unfinished step')
    .option('-y, --yes', 'do not ask for confirmation on a terminal (required without one)')
    .option('--no-auto-rollback', 'on failure, record it but leave the rollback to you')
    .option('--out <file>', 'with --dry-run: save the run plan (JSON) for `gnr-migrate apply FILE`')
    .addOption(concurrency())
    .addOption(ack())
    .addHelpText(
      'after',
      '\nExamples:\n  $ gnr-migrate phase 0 --dry-run\n  $ gnr-migrate phase 0 --yes\n  $ gnr-migrate phase 3 --env staging --var asgi_port=8082\n  $ gnr-migrate phase 4 --resume',
    )
    .action(action(() => import('./commands/phase.js')));

  program
    .command('rollback')
    .description('roll back the current phase to its target, or walk back to --to one phase at a time')
    .option('--to <id>', 'the phase to end at (e.g. 0); walks back through every phase after it')
    .option('--dry-run', 'show the rollback plan and change nothing')
    .option('--reason <text>', 'why, for the failure record (default: manual rollback)')
    .option('-y, --yes', 'do not ask for confirmation on a terminal (required without one)')
    .option('--force', "roll back even with --var/--env values other than the run's")
    .option(
      '--no-snapshot',
      'roll back without snapshotting the systems first (the rollback cannot be undone)',
    )
    .option('--out <file>', 'with --dry-run: save the rollback plan (JSON) for `gnr-migrate apply FILE`')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gnr-migrate rollback --dry-run\n  $ gnr-migrate rollback --reason "error rate above 5 %"\n  $ gnr-migrate rollback --to 0 --yes',
    )
    .action(action(() => import('./commands/rollback.js')));

  program
    .command('apply <file>')
    .description(
      'apply a run plan saved by `phase <id> --dry-run --out FILE` or `rollback --dry-run --out FILE`, exactly; exit 2 with the differences if anything changed since',
    )
    .addOption(concurrency())
    .addHelpText(
      'after',
      '\nExamples:\n  $ gnr-migrate phase 3 --dry-run --out phase-3.plan.json\n  $ gnr-migrate apply phase-3.plan.json\n  $ gnr-migrate rollback --dry-run --out rollback.plan.json && gnr-migrate apply rollback.plan.json',
    )
    .action(action(() => import('./commands/apply.js')));

  const backup = program
    .command('backup')
    .description('backups by hand: list, create, verify, restore, prune')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gnr-migrate backup list\n  $ gnr-migrate backup create instance gnrcfg\n  $ gnr-migrate backup verify gnrcfg_20261122-101500\n  $ gnr-migrate backup restore gnrcfg_20261122-101500 --to /tmp/gnrcfg-copy\n  $ gnr-migrate backup prune --keep 3',
    );
  backup
    .command('list')
    .description('the backups: system, id, phase, files, bytes, age')
    .action(action(() => import('./commands/backup-list.js'), { result: true }));
  backup
    .command('create [systems...]')
    .description('back up systems of the plan now, outside any phase (default: every system)')
    .action(action(() => import('./commands/backup-create.js')));
  backup
    .command('verify [id]')
    .description(
      're-hash every file of a backup (default: all) against its manifest; exit 1 on any difference',
    )
    .action(action(() => import('./commands/backup-verify.js')));
  backup
    .command('restore <id>')
    .description(
      "verify, snapshot the target, then make it exactly the backup (default target: the system's path)",
    )
    .option('--to <path>', 'restore into this path instead of the system path')
    .option('-y, --yes', 'do not ask for confirmation on a terminal (required without one)')
    .action(action(() => import('./commands/backup-restore.js')));
  backup
    .command('prune')
    .description('delete old backups, keeping the newest N per system and any the current rollback needs')
    .requiredOption('--keep <n>', 'backups to keep per system', positiveInt('--keep'))
    .option('--dry-run', 'say what would be deleted and delete nothing')
    .action(action(() => import('./commands/backup-prune.js')));

  const failures = program
    .command('failures')
    .description('the failure records under migration/failures/')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gnr-migrate failures\n  $ gnr-migrate failures show genropy-site_phase-4_20261122_101500',
    )
    .action(action(() => import('./commands/failures-list.js'), { result: true }));
  failures
    .command('list')
    .description('one line per failure record, newest last')
    .action(action(() => import('./commands/failures-list.js'), { result: true }));
  failures
    .command('show <id>')
    .description('one failure record in full (id: the file name, with or without .json)')
    .action(action(() => import('./commands/failures-show.js'), { result: true }));

  program
    .command('unlock')
    .description('remove a stale lock (its holder is gone); --force removes any lock')
    .option('--force', 'remove the lock even if its holder looks alive or is on another host')
    .action(action(() => import('./commands/unlock.js')));

  program
    .command('gate')
    .description('the CI gate before deploying a phase: plan, ledger, checklist, backups, runbook, metrics')
    .option('--phase <id>', 'the phase being deployed (default: the current phase, else the next)')
    .option('--metrics <file>', 'metrics of the new system (JSON or YAML) for the rollback triggers')
    .option('--baseline <file>', 'metrics of the old system, for ratios and the parallel-run comparison')
    .option('--deep', 're-hash every backup file (default: manifests and sizes)')
    .option('--junit <file>', 'also write a JUnit XML report (one test case per gate item)')
    .addOption(concurrency())
    .addOption(ack())
    .addHelpText(
      'after',
      '\nExamples:\n  $ gnr-migrate gate --phase 4 --junit reports/gate.xml\n  $ gnr-migrate gate --metrics new.json --baseline old.json --env production\n  $ gnr-migrate gate --deep --json',
    )
    .action(action(() => import('./commands/gate.js')));
}

/** The command tree as plain data, for the completion scripts (ui/completion.ts). */
function describeCommand(cmd: Command): import('./ui/completion.js').CompletionCommand {
  return {
    name: cmd.name(),
    description: cmd.description().split('\n')[0] ?? '',
    options: cmd.options
      .filter((o) => !o.hidden)
      .map((o) => ({
        flags: [o.long, o.short].filter((f): f is string => Boolean(f)),
        description: o.description,
        takesValue: o.required || o.optional,
      })),
    commands: cmd.commands.filter((c) => c.name() !== 'help').map(describeCommand),
  };
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
