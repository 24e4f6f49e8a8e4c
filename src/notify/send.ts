import type { Clock } from '../core/clock.js';
import type { NotificationRecord } from '../ledger/schema.js';
import type { NotifyTarget } from '../plan/types.js';
import { defaultBody, eventValues, type RunEndEvent } from './event.js';
import { render, renderValue, templateScope } from './template.js';
import type { NotifyTransport } from './transport.js';

export interface NotifyDeps {
  transport: NotifyTransport;
  clock: Clock;
  vars: Record<string, string>;
  processEnv: NodeJS.ProcessEnv;
}

/**
 * Sends the end of a run to every target whose `on:` it matches, all at once, and says how each
 * went. Never throws: a notification that cannot be delivered is a warning for the run, not a
 * failure of it (the run's outcome is already settled when this is called).
 */
export async function notifyRunEnd(
  targets: NotifyTarget[],
  event: RunEndEvent,
  deps: NotifyDeps,
): Promise<NotificationRecord[]> {
  const due = targets.filter((t) => t.on.some((o) => event.events.includes(o)));
  return Promise.all(due.map((t) => sendOne(t, event, deps)));
}

async function sendOne(t: NotifyTarget, event: RunEndEvent, deps: NotifyDeps): Promise<NotificationRecord> {
  const at = deps.clock.now();
  const started = performance.now();
  let target = describeTarget(t);
  const record = (fields: Pick<NotificationRecord, 'delivered'> & Partial<NotificationRecord>) => ({
    target,
    events: event.events,
    at: at.toISOString(),
    durationMs: Math.round(performance.now() - started),
    ...fields,
  });
  try {
    const scope = templateScope(event, deps.vars, deps.processEnv);
    if (t.kind === 'webhook') {
      const url = render(t.url, scope);
      target = describeUrl(url);
      if (!/^https?:\/\//i.test(url))
        return record({ delivered: false, status: null, error: 'not an http(s) URL' });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(t.headers)) headers[k] = render(v, scope);
      let body: string;
      if (typeof t.body === 'string') body = render(t.body, scope);
      else body = JSON.stringify(t.body === undefined ? defaultBody(event) : renderValue(t.body, scope));
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
        headers['Content-Type'] =
          typeof t.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
      headers['User-Agent'] ??= 'gnr-migrate';
      const res = await deps.transport.post({ url, headers, body, timeoutMs: t.timeoutMs });
      const ok = res.status !== null && res.status >= 200 && res.status < 300;
      return record({
        delivered: ok,
        status: res.status,
        ...(ok ? {} : { error: res.error ?? `HTTP ${res.status}` }),
      });
    }
    const argv = t.argv.map((a) => render(a, scope));
    const env: Record<string, string> = { GNR_MIGRATE_EVENT_JSON: JSON.stringify(defaultBody(event)) };
    for (const [k, v] of Object.entries(eventValues(event)))
      env[`GNR_MIGRATE_${k.toUpperCase()}`] = v === null ? '' : String(v);
    const res = await deps.transport.run({ argv, env, timeoutMs: t.timeoutMs });
    const ok = res.status === 0 && !res.error;
    return record({
      delivered: ok,
      status: res.status,
      ...(ok ? {} : { error: res.error ?? `exit ${res.status}` }),
    });
  } catch (err) {
    return record({ delivered: false, status: null, error: (err as Error).message });
  }
}

/** A webhook shown by its origin only: Slack and Mattermost put the secret in the path. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `webhook ${u.protocol}//${u.host}${u.pathname.length > 1 ? '/…' : '/'}`;
  } catch {
    return 'webhook (invalid URL)';
  }
}

function describeTarget(t: NotifyTarget): string {
  return t.kind === 'webhook' ? describeUrl(t.url.replace(/\$\{[^}]*\}/g, 'x')) : `run ${t.argv[0]}`;
}
