import { runProcess } from '../core/process.js';
import type { Delivery, NotifyTransport, ProgramRequest, WebhookRequest } from './transport.js';

/** The real transport: fetch for webhooks, the one process wrapper for programs. */
export const nodeTransport: NotifyTransport = {
  async post(req: WebhookRequest): Promise<Delivery> {
    try {
      const res = await fetch(req.url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(req.timeoutMs),
      });
      // The body is read (and dropped) so the connection is released at once.
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        return { status: null, error: `no answer in ${Math.round(req.timeoutMs / 1000)}s` };
      return { status: null, error: e.cause?.code ?? e.cause?.message ?? e.message };
    }
  },
  async run(req: ProgramRequest): Promise<Delivery> {
    const r = await runProcess({ kind: 'run', argv: req.argv, env: req.env, timeoutMs: req.timeoutMs });
    if (r.startError) return { status: null, error: r.startError };
    if (r.timedOut) return { status: null, error: `did not end in ${Math.round(req.timeoutMs / 1000)}s` };
    if (r.exitCode !== 0) {
      const last = r.tail.trim().split('\n').pop();
      return { status: r.exitCode, error: `exit ${r.exitCode ?? r.signal}${last ? `: ${last}` : ''}` };
    }
    return { status: 0 };
  },
};
