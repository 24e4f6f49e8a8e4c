/**
 * Where text goes, like a Unix tool: a command's result on stdout (human text, or the one JSON
 * document with --json), progress and diagnostics on stderr, so `status | head -3` and
 * `--json | jq` both work. A command whose whole output is its result (`status`, `plan`,
 * `backup list`, `failures`) is made with `result: true`: its `say` lines go to stdout. Colour
 * only on a TTY (of the stream written to), never with NO_COLOR; FORCE_COLOR wins.
 */

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface Colors {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

export interface Output {
  json: boolean;
  /** `--json --events`: progress as NDJSON events on stdout, the result as the last event. */
  events: boolean;
  c: Colors;
  /** stderr is a terminal and CI is not set: live progress is allowed. */
  interactive: boolean;
  /** stdin and stderr are terminals: a person can be asked. */
  canPrompt: boolean;
  streams: Streams;
  /** A line for a person: stderr, or stdout for a command whose output is its result. */
  say(line?: string): void;
  warn(line: string): void;
  error(line: string): void;
  /** The one JSON document of a `--json` run (stdout); with --events, the last event. */
  data(value: unknown): void;
  /** One NDJSON progress event on stdout (only with --json --events). */
  event(value: Record<string, unknown>): void;
  /** Plain stdout text (e.g. `plan schema`, which is data either way). */
  raw(text: string): void;
}

export function colorsFor(enabled: boolean): Colors {
  const wrap = (open: number, close: number) => (s: string) =>
    enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

export function wantColor(env: NodeJS.ProcessEnv, isTTY: boolean | undefined): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.TERM === 'dumb') return false;
  return Boolean(isTTY);
}

export interface OutputOptions {
  /** The command's human output is its result: `say` writes to stdout (not with --json). */
  result?: boolean;
  /** With --json: stream NDJSON events (ui/progress-events.ts). */
  events?: boolean;
}

export function createOutput(
  streams: Streams,
  env: NodeJS.ProcessEnv,
  json: boolean,
  options: OutputOptions = {},
): Output {
  const isCI = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  const toStdout = Boolean(options.result) && !json;
  const human = toStdout ? streams.stdout : streams.stderr;
  const c = colorsFor(wantColor(env, human.isTTY));
  const ec = toStdout ? colorsFor(wantColor(env, streams.stderr.isTTY)) : c;
  const events = json && Boolean(options.events);
  return {
    json,
    events,
    c,
    // A terminal that reports no width (some ptys) cannot be redrawn in place: plain lines.
    interactive:
      Boolean(streams.stderr.isTTY) &&
      !isCI &&
      !json &&
      ((streams.stderr as { columns?: number }).columns ?? 0) >= 20,
    canPrompt: Boolean(streams.stdin?.isTTY) && Boolean(streams.stderr.isTTY),
    streams,
    say: (line = '') => void human.write(`${line}\n`),
    warn: (line) => void streams.stderr.write(`${ec.yellow('warning:')} ${line}\n`),
    error: (line) => void streams.stderr.write(`${ec.red('error:')} ${line}\n`),
    data: (value) =>
      void streams.stdout.write(
        events
          ? `${JSON.stringify({ event: 'result', data: value })}\n`
          : `${JSON.stringify(value, null, 2)}\n`,
      ),
    event: (value) => {
      if (events) streams.stdout.write(`${JSON.stringify(value)}\n`);
    },
    raw: (text) => void streams.stdout.write(text),
  };
}

/** Pads to a visible width, ignoring ANSI colour codes. */
export function pad(s: string, width: number): string {
  const visible = s.replace(/\x1b\[[0-9;]*m/g, '').length;
  return visible >= width ? s : s + ' '.repeat(width - visible);
}

/** A plain text table: columns padded, no borders (reads well in logs and terminals). */
export function table(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      const w = cell.replace(/\x1b\[[0-9;]*m/g, '').length;
      widths[i] = Math.max(widths[i] ?? 0, w);
    });
  }
  return rows
    .map((row) =>
      (
        indent + row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i] ?? 0))).join('  ')
      ).trimEnd(),
    )
    .join('\n');
}

/** `1 file`, `2 files`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * A multi-line command (a Python snippet passed to `python3 -c`, a shell script) as its first
 * line plus "(N more lines)", for human output; `--json` and `plan --verbose` show it whole.
 */
export function firstLine(text: string, c?: Colors): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  if (lines.length <= 1) return text;
  const more = `(${plural(lines.length - 1, 'more line')})`;
  return `${lines[0]} … ${c ? c.dim(more) : more}`;
}
