import { interpolate } from '../plan/interpolate.js';
import { type EventField, eventValues, type RunEndEvent } from './event.js';

/**
 * `${field}` in a notification: a field of the event first, then a plan var, then
 * `${env:NAME}` — the same syntax and the same one-string-at-a-time rule as the rest of the
 * plan (a value is never re-split: an argv element stays one element).
 */
export interface TemplateScope {
  values: Record<string, string>;
  typed: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
}

export function templateScope(
  event: RunEndEvent,
  vars: Record<string, string>,
  env: NodeJS.ProcessEnv,
): TemplateScope {
  const typed: Record<string, unknown> = eventValues(event);
  const values: Record<string, string> = { ...vars };
  for (const [k, v] of Object.entries(typed)) values[k] = v === null || v === undefined ? '' : String(v);
  return { values, typed, env };
}

export function render(text: string, scope: TemplateScope): string {
  return interpolate(text, scope.values, scope.env);
}

/**
 * A mapping body: every string inside it rendered; a string that is exactly one event field
 * (`phase: "${phase}"`) keeps the field's type, so a receiver gets a number or null, not "4".
 */
export function renderValue(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([a-z_]+)\}$/.exec(value);
    if (whole && whole[1]! in scope.typed) return scope.typed[whole[1] as EventField];
    return render(value, scope);
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, scope));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, scope)]));
  return value;
}
