/**
 * Shell completion scripts (`gnr-migrate completion bash|zsh|fish`), generated from the command
 * tree that cli.ts wires, so a new command or option completes without anyone editing a script.
 * Static scripts: completing never starts node (a TAB press must be instant).
 */

export interface CompletionOption {
  /** `--junit`, `-y` */
  flags: string[];
  description: string;
  /** Takes a value (a file, a phase id…): complete file names after it. */
  takesValue: boolean;
}

export interface CompletionCommand {
  name: string;
  description: string;
  options: CompletionOption[];
  commands: CompletionCommand[];
}

export const completionShells = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof completionShells)[number];

export function completionScript(shell: CompletionShell, root: CompletionCommand): string {
  if (shell === 'fish') return fishScript(root);
  const bash = bashScript(root);
  if (shell === 'bash') return bash;
  // zsh runs bash completion functions through bashcompinit: one script, two shells.
  return `#compdef gnr-migrate\n# gnr-migrate completion for zsh: eval "$(gnr-migrate completion zsh)" in ~/.zshrc\nautoload -U +X bashcompinit && bashcompinit\n${bash}`;
}

/** Every command with its path of names: "" (the program), "plan", "plan validate", … */
function walk(cmd: CompletionCommand, path: string[] = []): { path: string[]; cmd: CompletionCommand }[] {
  return [{ path, cmd }, ...cmd.commands.flatMap((c) => walk(c, [...path, c.name]))];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bashScript(root: CompletionCommand): string {
  const all = walk(root);
  const globalOpts = root.options;
  const valueFlags = new Set(
    all.flatMap(({ cmd }) => cmd.options.filter((o) => o.takesValue).flatMap((o) => o.flags)),
  );
  const cases = all
    .map(({ path, cmd }) => {
      const words = [
        ...cmd.commands.map((c) => c.name),
        ...cmd.options.flatMap((o) => o.flags),
        ...(path.length ? globalOpts.flatMap((o) => o.flags) : []),
        '--help',
      ];
      return `    ${quote(path.join(' '))}) words=${quote(words.join(' '))} ;;`;
    })
    .join('\n');
  const known = all
    .filter(({ path }) => path.length > 0)
    .map(({ path }) => quote(path.join(' ')))
    .join('|');
  return `# gnr-migrate completion for bash: eval "$(gnr-migrate completion bash)" in ~/.bashrc
_gnr_migrate() {
  local cur prev cmd="" w i words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    ${[...valueFlags].join('|') || '--no-such-flag'}) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "\${cmd:+$cmd }$w" in
      ${known}) cmd="\${cmd:+$cmd }$w" ;;
    esac
  done
  case "$cmd" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _gnr_migrate gnr-migrate
`;
}

function fishScript(root: CompletionCommand): string {
  const lines = [
    '# gnr-migrate completion for fish: gnr-migrate completion fish > ~/.config/fish/completions/gnr-migrate.fish',
    'complete -c gnr-migrate -f',
  ];
  const option = (o: CompletionOption, condition?: string) => {
    const parts = ['complete -c gnr-migrate'];
    if (condition) parts.push(`-n ${quote(condition)}`);
    for (const f of o.flags) parts.push(f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`);
    if (o.takesValue) parts.push('-r -F');
    parts.push(`-d ${quote(o.description)}`);
    return parts.join(' ');
  };
  for (const o of root.options) lines.push(option(o));
  for (const c of root.commands) {
    lines.push(`complete -c gnr-migrate -n '__fish_use_subcommand' -a ${c.name} -d ${quote(c.description)}`);
    const inC = `__fish_seen_subcommand_from ${c.name}`;
    for (const o of c.options) lines.push(option(o, inC));
    for (const sub of c.commands) {
      const others = c.commands.map((s) => s.name).join(' ');
      lines.push(
        `complete -c gnr-migrate -n ${quote(`${inC}; and not __fish_seen_subcommand_from ${others}`)} -a ${sub.name} -d ${quote(sub.description)}`,
      );
      for (const o of sub.options)
        lines.push(option(o, `${inC}; and __fish_seen_subcommand_from ${sub.name}`));
    }
  }
  return `${lines.join('\n')}\n`;
}
