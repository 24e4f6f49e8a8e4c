import type { Run } from './schema.js';

/**
 * What of a run's inputs may be shown: `history`, `failures` and notifications print command
 * lines that may carry a password (`--var db_password=…`) or a token in a URL. Ledgers written
 * before inputs were redacted at the source hold them in clear, so every reader redacts again.
 */

export const redacted = '***';

/** Var names that read as secrets (`db_password`, `API_TOKEN`, `slack_webhook_key`, …). */
const secretName =
  /pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|credential|auth|cookie|session/i;

export function isSecretName(name: string): boolean {
  return secretName.test(name);
}

/** `https://user:pw@host/…` → `https://user:***@host/…`; long opaque path parts are kept. */
export function redactUrlUserinfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi, `$1${redacted}@`);
}

/** `name=value` with a secret-looking name → `name=***`. */
export function redactAssignment(pair: string): string {
  const eq = pair.indexOf('=');
  if (eq <= 0) return redactUrlUserinfo(pair);
  const name = pair.slice(0, eq);
  return isSecretName(name) ? `${name}=${redacted}` : redactUrlUserinfo(pair);
}

/**
 * A command line as recorded in the ledger (argv joined by spaces), with the value of every
 * `--var NAME=VALUE` whose name reads as a secret and every URL password replaced by `***`.
 */
export function redactCommandLine(command: string): string {
  const tokens = command.split(' ');
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '--var' && i + 1 < tokens.length) {
      out.push(t, redactAssignment(tokens[++i]!));
    } else if (t.startsWith('--var=')) {
      out.push(`--var=${redactAssignment(t.slice('--var='.length))}`);
    } else out.push(redactUrlUserinfo(t));
  }
  return out.join(' ');
}

/** The inputs a recorded command line names: vars (redacted), environment, plan file, acks. */
export interface ShownInputs {
  command: string;
  vars: Record<string, string>;
  env?: string;
  plan?: string;
  acks: string[];
  flags: string[];
}

export function inputsOf(command: string | undefined): ShownInputs {
  const inputs: ShownInputs = { command: redactCommandLine(command ?? ''), vars: {}, acks: [], flags: [] };
  const tokens = (command ?? '').split(' ').filter(Boolean);
  const optionValue = (i: number, t: string, name: string): [string | undefined, number] =>
    t === name ? [tokens[i + 1], i + 1] : [t.slice(name.length + 1), i];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const opt = t.split('=')[0]!;
    if (opt === '--var') {
      const [pair, next] = optionValue(i, t, '--var');
      i = next;
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      inputs.vars[name] = isSecretName(name) ? redacted : redactUrlUserinfo(pair.slice(eq + 1));
    } else if (opt === '--env' || opt === '--plan' || opt === '--ack') {
      const [value, next] = optionValue(i, t, opt);
      i = next;
      if (value === undefined) continue;
      if (opt === '--env') inputs.env = value;
      else if (opt === '--plan') inputs.plan = value;
      else inputs.acks.push(value);
    } else if (/^--(force|resume|allow-deferred|no-auto-rollback|dry-run|yes)$/.test(t) || t === '-y') {
      inputs.flags.push(t);
    }
  }
  return inputs;
}

/**
 * A run's inputs as `history` shows them: those the ledger recorded (`inputs`, with secret vars
 * already `***`) when it has them, else what its command line names (older ledgers).
 */
export function shownInputsOf(run: Pick<Run, 'command' | 'inputs'>): ShownInputs {
  const fromCommand = inputsOf(run.command);
  const recorded = run.inputs;
  if (!recorded) return fromCommand;
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(recorded.overrides))
    vars[k] = isSecretName(k) ? redacted : redactUrlUserinfo(v);
  return {
    ...fromCommand,
    vars,
    ...(recorded.environment !== undefined ? { env: recorded.environment } : {}),
  };
}
