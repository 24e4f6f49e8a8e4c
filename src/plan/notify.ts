import { eventFields } from '../notify/event.js';
import { referencedVars } from './interpolate.js';
import { type DocPath, formatDocPath } from './load.js';
import type { NotifyInput } from './schema.js';
import type { NotifyTarget } from './types.js';

/** Delivery is given up after this long (a webhook that hangs must not hold the run). */
export const defaultNotifyTimeoutMs = 10_000;

interface NotifyCtx {
  vars: Record<string, string>;
  issue: (path: DocPath, message: string) => void;
  toMs: (d: number | string) => number;
}

/**
 * `notify:` entries, checked but not filled in: their `${…}` are filled at the end of a run,
 * when the event exists. What can be checked now is: every name is an event field or a plan var
 * (a typo must not silently send an empty field), and a webhook is an http(s) URL.
 */
export function resolveNotify(list: NotifyInput[], ctx: NotifyCtx): NotifyTarget[] {
  return list.map((n, i) => {
    const path: DocPath = ['notify', i];
    const known = (text: string, at: DocPath) => {
      for (const name of referencedVars(text)) {
        if (!(eventFields as readonly string[]).includes(name) && ctx.vars[name] === undefined)
          ctx.issue(
            at,
            `\${${name}} is neither a field of the event (${eventFields.join(', ')}) nor a plan var`,
          );
      }
    };
    const walk = (value: unknown, at: DocPath): void => {
      if (typeof value === 'string') known(value, at);
      else if (Array.isArray(value)) {
        for (const [j, v] of value.entries()) walk(v, [...at, j]);
      } else if (value && typeof value === 'object')
        for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
    };
    const common = {
      on: n.on ?? (['failure', 'rollback', 'needs_person'] as NotifyTarget['on']),
      timeoutMs: n.timeout !== undefined ? ctx.toMs(n.timeout) : defaultNotifyTimeoutMs,
      docPath: formatDocPath(path),
    };
    if ('webhook' in n) {
      known(n.webhook, [...path, 'webhook']);
      let url: URL | undefined;
      try {
        // A URL that starts with a `${…}` (`${env:SLACK_WEBHOOK_URL}`) is checked when it is sent.
        url = new URL(n.webhook.replace(/^\$\{[^}]*\}/, 'https://x.invalid').replace(/\$\{[^}]*\}/g, 'x'));
      } catch {}
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
        ctx.issue([...path, 'webhook'], 'expected an http:// or https:// URL');
      walk(n.headers ?? {}, [...path, 'headers']);
      if (n.body !== undefined) walk(n.body, [...path, 'body']);
      return {
        kind: 'webhook',
        url: n.webhook,
        headers: n.headers ?? {},
        ...(n.body !== undefined ? { body: n.body } : {}),
        ...common,
      };
    }
    walk(n.run, [...path, 'run']);
    return { kind: 'run', argv: n.run, ...common };
  });
}
