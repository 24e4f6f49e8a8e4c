/**
 * Secret values (the plan's `secrets:` vars) are never written in clear: every writer of the
 * ledger, the lock, logs, failure records, runbooks, saved plans and error messages passes its
 * text through here. One process-wide set, filled when the plan is resolved: a secret reaches
 * the process once, and whatever it flows into afterwards must be masked the same way.
 */

export const redacted = '***';

/** Shorter values would mask unrelated text (a "1" in every timestamp); the plan warns. */
export const minSecretLength = 4;

const secrets = new Set<string>();

export function addSecrets(values: Iterable<string>): void {
  for (const v of values) if (v.length >= minSecretLength) secrets.add(v);
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear();
}

export function hasSecrets(): boolean {
  return secrets.size > 0;
}

export function redact(text: string): string {
  if (secrets.size === 0 || text === '') return text;
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(redacted);
  return out;
}

/** A copy of a JSON-like value with every string masked (keys and numbers untouched). */
export function redactDeep<T>(value: T): T {
  if (secrets.size === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x);
      return o;
    }
    return v;
  };
  return walk(value) as T;
}
