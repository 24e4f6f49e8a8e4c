import { type Command, Option } from 'commander';
import { InputError } from '../core/errors.js';

/**
 * The `fleet` commands' wiring (commander only), kept apart from cli.ts so the fleet is one
 * line there. Each command's code is imported when it runs.
 */

// biome-ignore lint/suspicious/noExplicitAny: the action factory of cli.ts, whatever its module's signature
type ActionFactory = (load: () => Promise<{ run: any }>) => (...args: unknown[]) => Promise<void>;

export function registerFleet(program: Command, action: ActionFactory): void {
  const fleetCommand = (name: 'phase' | 'resume' | 'rollback' | 'gate' | 'status') => async () => ({
    run: (await import('./fleet-commands.js'))[name],
  });
  const fleet = program
    .command('fleet')
    .description('many hosts in waves through Ansible: phase, status, rollback, resume, gate')
    .addHelpText(
      'after',
      `
Each host runs gnr-migrate itself (installed from the packed tarball when its version differs);
Ansible (ansible-core) reaches the hosts; the fleet ledger is migration/fleet/state.json.

Examples:
  $ gnr-migrate fleet phase 3 --dry-run                 every host's dry-run, the waves, what is blocked
  $ gnr-migrate fleet phase 3 --waves 1,25%,100% --max-fail-percentage 10
  $ gnr-migrate fleet status                            hosts × phases, waves, KPIs, success score
  $ gnr-migrate fleet rollback --wave expansion         the mass-failure response
  $ gnr-migrate fleet resume                            from the first unfinished wave
  $ gnr-migrate fleet gate --wave pilot --junit reports/fleet-gate.xml`,
    );

  const common = (cmd: Command) =>
    cmd
      .option(
        '-i, --inventory <file>',
        'the Ansible inventory, INI or YAML (default: migration/fleet/inventory.yaml)',
      )
      .addOption(
        new Option('--forks <n>', 'hosts worked on at once (ansible-playbook --forks)').argParser(
          count('--forks'),
        ),
      )
      .option('--playbook <file>', 'run this playbook instead of the one gnr-migrate ships')
      .option(
        '--tarball <file>',
        'the packed gnr-migrate to install on hosts (default: packed from this one)',
      )
      .option('--no-install', 'do not install gnr-migrate on hosts; they must have this version')
      .option('-v, --verbose', "show Ansible's output")
      .addOption(
        new Option('--ack <check-id>', 'acknowledge an `ack` check on every host (repeatable)')
          .argParser(collect)
          .default([]),
      );
  const budget = () =>
    new Option(
      '--max-fail-percentage <n>',
      "each wave's failure budget, Ansible's max_fail_percentage (default: the plan's, else 0)",
    ).argParser(percentage);

  common(
    fleet
      .command('phase <id>')
      .description('apply a phase on every host, wave by wave; a wave over its failure budget stops the run')
      .option('--dry-run', "every host's dry-run, the waves, and what is blocked and why (changes nothing)")
      .option(
        '--waves <sizes>',
        "waves as Ansible's serial list, e.g. 1,25%,100% (default: the plan's fleet.waves)",
      )
      .addOption(budget()),
  ).action(action(fleetCommand('phase')));

  common(
    fleet
      .command('resume')
      .description('continue the last fleet phase run from its first unfinished wave')
      .addOption(budget()),
  ).action(action(fleetCommand('resume')));

  common(
    fleet
      .command('rollback')
      .description('roll back the hosts that applied the phase, in parallel, each through its own ledger')
      .option('--wave <name>', 'the hosts of this wave')
      .option('--hosts <pattern>', 'hosts or groups, as an Ansible pattern (web*, P2:P3, all:!P0)')
      .option('--all', 'every host of the last fleet phase run')
      .option('--reason <text>', "why, for each host's failure record"),
  ).action(action(fleetCommand('rollback')));

  common(
    fleet
      .command('gate')
      .description(
        'the CI gate on every host of a wave or the fleet; one JUnit suite per host; exit 0 only if all pass',
      )
      .option('--wave <name>', 'the hosts of this wave (from the fleet ledger)')
      .option('--hosts <pattern>', 'hosts or groups, as an Ansible pattern')
      .option('--phase <id>', 'the phase being deployed (default: each host decides, as `gate` does)')
      .option('--deep', 're-hash every backup file')
      .option('--junit <file>', 'write one JUnit report, a test suite per host'),
  ).action(action(fleetCommand('gate')));

  fleet
    .command('status')
    .description(
      'hosts × phases, the waves of the last run, the KPIs and the success score (from the fleet ledger)',
    )
    .option('--phase <id>', 'the phase the KPIs are about (default: the last fleet phase run)')
    .action(action(fleetCommand('status')));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function count(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InputError(`${name} ${value}: expected a whole number of 1 or more`);
    return n;
  };
}

function percentage(value: string): number {
  const n = Number(value.replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 0 || n > 100)
    throw new InputError(`--max-fail-percentage ${value}: expected a number from 0 to 100`);
  return n;
}
