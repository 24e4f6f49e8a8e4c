import type { Check } from '../plan/types.js';
import { probeSocket, serviceOnSocket } from './socket.js';
import type { ChecklistContext } from './types.js';
import { error, fail, inWorkspace, pass, seconds, timeout, type Verdict } from './verdict.js';

type UnixCheck = Extract<Check, { kind: 'unix' }>;

/** `unix: PATH`, `expect: open|closed`: gunicorn and gnrasync listen on `<site>/sockets/*.sock`. */
export async function evaluateUnix(check: UnixCheck, ctx: ChecklistContext): Promise<Verdict> {
  const path = inWorkspace(ctx, check.path);
  const where = `unix ${path}`;
  const service = serviceOnSocket(path);
  const running = service ? `is ${service} running?` : 'is the server that owns it running?';
  const probe = await probeSocket({ path }, check.timeoutMs, ctx.signal);
  switch (probe.state) {
    case 'open':
      return check.expect === 'open'
        ? pass(`${where}: accepting connections`)
        : fail(`${where}: accepting connections, expected closed — stop ${service ?? 'its server'} first`);
    case 'closed': {
      const why = probe.code === 'ENOENT' ? 'no such socket file' : 'connection refused (stale socket file)';
      return check.expect === 'closed'
        ? pass(`${where}: closed (${why})`)
        : fail(`${where}: ${why} — ${running}`);
    }
    case 'timeout':
      return timeout(`${where}: no answer within ${seconds(check.timeoutMs)} — is its server stuck?`);
    case 'aborted':
      return error(`${where}: interrupted`);
    default:
      return check.expect === 'open'
        ? fail(`${where}: ${probe.message}`)
        : error(`${where}: ${probe.message}; cannot tell whether it is closed`);
  }
}
