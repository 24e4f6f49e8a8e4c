import { setTimeout as sleep } from 'node:timers/promises';
import type { Check } from '../plan/types.js';
import { describeCode, serviceOnPort } from './socket.js';
import { compile, error, fail, oneLine, pass, seconds, timeout, type Verdict } from './verdict.js';

type HttpCheck = Extract<Check, { kind: 'http' }>;

/** Enough of a body to match a health page; a multi-megabyte page is not a health answer. */
const bodyLimit = 1024 * 1024;

/**
 * `http: URL` with `expect: { status, body, header }`, `retries` and `interval`. Node's own
 * fetch (no dependency, lazily loaded by Node itself). `timeout` bounds each attempt, so
 * `retries: 5, interval: 2s` waits for a service that is still starting.
 */
export async function evaluateHttp(
  check: HttpCheck,
  ctx: { signal?: AbortSignal | undefined },
): Promise<Verdict> {
  let url: URL;
  try {
    url = new URL(check.url);
  } catch {
    return error(`http ${JSON.stringify(check.url)}: not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return error(`http ${check.url}: expected an http:// or https:// URL`);

  const attempts = check.retries + 1;
  let verdict: Verdict = error(`http ${check.url}: not attempted`);
  for (let i = 0; i < attempts; i++) {
    if (i > 0) {
      try {
        await sleep(check.intervalMs, undefined, ctx.signal ? { signal: ctx.signal } : {});
      } catch {
        return error(`${check.method} ${check.url}: interrupted`);
      }
    }
    verdict = await attempt(check, url, ctx.signal);
    if (verdict.status === 'pass' || ctx.signal?.aborted) return verdict;
  }
  return attempts > 1 ? { ...verdict, reason: `${verdict.reason} (after ${attempts} attempts)` } : verdict;
}

async function attempt(check: HttpCheck, url: URL, outer?: AbortSignal): Promise<Verdict> {
  const where = `http ${check.method} ${check.url}`;
  const deadline = AbortSignal.timeout(check.timeoutMs);
  const signal = outer ? AbortSignal.any([outer, deadline]) : deadline;
  const redirects = check.expect.status >= 300 && check.expect.status < 400;
  try {
    const res = await fetch(url, {
      method: check.method,
      headers: check.headers,
      signal,
      // Expecting a 3xx means the redirect itself is what is checked.
      redirect: redirects ? 'manual' : 'follow',
    });
    if (res.status !== check.expect.status) {
      const body = await readBody(res);
      const first = body.trim().split('\n')[0];
      return fail(
        oneLine(
          `${where}: ${res.status} ${res.statusText}, expected ${check.expect.status}${first ? ` (body: ${first})` : ''}`,
          160,
        ),
      );
    }
    for (const [name, pattern] of Object.entries(check.expect.header ?? {})) {
      const value = res.headers.get(name);
      const re = compile(pattern);
      if (typeof re === 'string') return error(`${where}: header ${name}: ${re}`);
      if (value === null || !re.test(value)) {
        await res.body?.cancel().catch(() => {});
        return fail(
          oneLine(
            `${where}: header ${name} ${value === null ? 'is missing' : `is ${JSON.stringify(value)}`}, expected /${pattern}/`,
          ),
        );
      }
    }
    if (check.expect.body === undefined) {
      await res.body?.cancel().catch(() => {});
      return pass(`${where}: ${res.status}`);
    }
    const re = compile(check.expect.body, 'm');
    if (typeof re === 'string') {
      await res.body?.cancel().catch(() => {});
      return error(`${where}: body: ${re}`);
    }
    const body = await readBody(res);
    if (!re.test(body)) {
      const start = body.trim().split('\n')[0] ?? '';
      return fail(
        oneLine(
          `${where}: ${res.status}, but the body does not match /${check.expect.body}/ (${start ? `starts: ${start}` : 'empty body'})`,
          160,
        ),
      );
    }
    return pass(`${where}: ${res.status}, body matches /${check.expect.body}/`);
  } catch (err) {
    if (deadline.aborted) return timeout(`${where}: no complete answer within ${seconds(check.timeoutMs)}`);
    if (outer?.aborted) return error(`${where}: interrupted`);
    return fail(oneLine(`${where}: ${explainFetchError(err, url)}`, 160));
  }
}

/** undici wraps the socket error as `cause`; that is the part a person can act on. */
function explainFetchError(err: unknown, url: URL): string {
  const cause = (err as { cause?: NodeJS.ErrnoException & { code?: string } }).cause;
  const code = cause?.code;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (code === 'ECONNREFUSED') {
    const service = serviceOnPort(port);
    return `connection refused — is ${service ?? 'the server'} on ${url.host} running?`;
  }
  if (code) return describeCode(code, cause?.message ?? String(err));
  return cause?.message ?? (err as Error).message ?? String(err);
}

async function readBody(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
    if (bytes >= bodyLimit) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return text + decoder.decode();
}
