import type { Check } from '../plan/types.js';
import { probeSocket, serviceOnPort } from './socket.js';
import { error, fail, pass, seconds, timeout, type Verdict } from './verdict.js';

type TcpCheck = Extract<Check, { kind: 'tcp' }>;

/** `tcp: "host:port"`, `expect: open|closed` (phase 4 asserts the daemon port is closed). */
export async function evaluateTcp(
  check: TcpCheck,
  ctx: { signal?: AbortSignal | undefined },
): Promise<Verdict> {
  const where = `tcp ${check.host.includes(':') ? `[${check.host}]` : check.host}:${check.port}`;
  const service = serviceOnPort(check.port);
  const probe = await probeSocket({ host: check.host, port: check.port }, check.timeoutMs, ctx.signal);
  switch (probe.state) {
    case 'open':
      return check.expect === 'open'
        ? pass(`${where}: open`)
        : fail(
            `${where}: open, expected closed — ${service ? `is ${service} still running? stop it first` : 'something still listens there; stop it first'}`,
          );
    case 'closed':
      return check.expect === 'closed'
        ? pass(`${where}: closed (connection refused)`)
        : fail(
            `${where}: connection refused — ${service ? `is ${service} running?` : `is the service on port ${check.port} running?`}`,
          );
    case 'timeout':
      return timeout(
        `${where}: no answer within ${seconds(check.timeoutMs)} — is a firewall dropping it, or the host down?`,
      );
    case 'aborted':
      return error(`${where}: interrupted`);
    default:
      // Unreachable or unresolvable: "open" is surely false, "closed" cannot be told.
      return check.expect === 'open'
        ? fail(`${where}: ${probe.message} — check the host name in the plan`)
        : error(`${where}: ${probe.message}; cannot tell whether the port is closed`);
  }
}
