/**
 * `${name}` interpolation. It works on one string at a time, so an argv element stays one
 * element whatever its value holds (spaces, quotes, `;`): values are never re-split or parsed
 * by a shell.
 *
 * Forms: `${name}` (a plan var), `${env:NAME}` and `${env:NAME:-fallback}` (the process
 * environment, e.g. `$GENRO_GNRFOLDER`), and `$${` for a literal `${`.
 */

export type VarValue = string | number | boolean;

export class UnknownVarError extends Error {
  constructor(
    readonly varName: string,
    readonly chain: string[] = [],
  ) {
    super(
      chain.length > 0
        ? `\${${varName}} has no value (needed by ${chain.map((c) => `\${${c}}`).join(' → ')}); set it under vars: or pass --var ${varName}=VALUE`
        : `\${${varName}} has no value; set it under vars: or pass --var ${varName}=VALUE`,
    );
  }
}

export class VarCycleError extends Error {
  constructor(readonly chain: string[]) {
    super(`vars refer to each other in a cycle: ${chain.map((c) => `\${${c}}`).join(' → ')}`);
  }
}

const pattern = /\$\$\{|\$\{([^}]*)\}/g;

/** Resolves every var (vars may refer to other vars and to env) to a plain string. */
export function resolveVars(vars: Record<string, VarValue>, env: NodeJS.ProcessEnv): Record<string, string> {
  const done = new Map<string, string>();
  const visit = (name: string, chain: string[]): string => {
    const cached = done.get(name);
    if (cached !== undefined) return cached;
    if (chain.includes(name)) throw new VarCycleError([...chain, name]);
    const raw = vars[name];
    if (raw === undefined) throw new UnknownVarError(name, chain);
    const value = substitute(String(raw), (ref) => lookup(ref, env, (n) => visit(n, [...chain, name])));
    done.set(name, value);
    return value;
  };
  for (const name of Object.keys(vars)) visit(name, []);
  return Object.fromEntries(done);
}

/**
 * `resolveVars` that goes on past a broken var: every var that can be resolved is, each problem
 * is reported once (a cycle once, not once per member), and `broken` names the vars without a
 * value because of it, so their uses are not reported again as "no value".
 */
export function resolveVarsReporting(
  vars: Record<string, VarValue>,
  env: NodeJS.ProcessEnv,
): { values: Record<string, string>; errors: (UnknownVarError | VarCycleError)[]; broken: Set<string> } {
  const values: Record<string, string> = {};
  const errors: (UnknownVarError | VarCycleError)[] = [];
  const broken = new Set<string>();
  const seen = new Set<string>();
  for (const name of Object.keys(vars)) {
    if (broken.has(name)) continue;
    try {
      Object.assign(values, resolveVars(pick(vars, name, broken), env));
    } catch (err) {
      if (!(err instanceof UnknownVarError || err instanceof VarCycleError)) throw err;
      // A var that needs a broken one is broken too, and its problem was already reported.
      const known = err instanceof UnknownVarError && broken.has(err.varName);
      const members = err instanceof VarCycleError ? err.chain : [...err.chain, err.varName];
      for (const m of members) broken.add(m);
      broken.add(name);
      const key = err instanceof VarCycleError ? [...new Set(err.chain)].sort().join(' ') : `?${err.varName}`;
      if (!known && !seen.has(key)) {
        seen.add(key);
        errors.push(err);
      }
    }
  }
  return { values, errors, broken };
}

/** The vars one var needs, leaving out those already known broken (reported once). */
function pick(vars: Record<string, VarValue>, name: string, broken: Set<string>): Record<string, VarValue> {
  const out: Record<string, VarValue> = {};
  const walk = (n: string) => {
    if (n in out || broken.has(n) || vars[n] === undefined) return;
    out[n] = vars[n] as VarValue;
    for (const ref of referencedVars(String(vars[n]))) walk(ref);
  };
  walk(name);
  return out;
}

export function interpolate(text: string, vars: Record<string, string>, env: NodeJS.ProcessEnv): string {
  return substitute(text, (ref) =>
    lookup(ref, env, (n) => {
      const v = vars[n];
      if (v === undefined) throw new UnknownVarError(n);
      return v;
    }),
  );
}

/** The var names a string refers to (for listing what a plan needs). */
export function referencedVars(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(pattern)) {
    const ref = m[1];
    if (ref !== undefined && !ref.startsWith('env:')) names.push(ref.trim());
  }
  return names;
}

function substitute(text: string, replace: (ref: string) => string): string {
  if (!text.includes('${')) return text;
  return text.replace(pattern, (match, ref: string | undefined) =>
    match === '$${' ? '${' : replace(ref ?? ''),
  );
}

function lookup(ref: string, env: NodeJS.ProcessEnv, varValue: (name: string) => string): string {
  const trimmed = ref.trim();
  if (trimmed.startsWith('env:')) {
    const body = trimmed.slice(4);
    const sep = body.indexOf(':-');
    const name = sep === -1 ? body : body.slice(0, sep);
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (sep !== -1) return body.slice(sep + 2);
    throw new UnknownVarError(`env:${name}`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(trimmed)) {
    throw new UnknownVarError(trimmed);
  }
  return varValue(trimmed);
}
