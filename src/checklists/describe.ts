import { type Check, commandLine } from '../plan/types.js';

/**
 * What a check looks at, in one line, without running it: for the dry-run's verify list,
 * runbooks and reports ("GET http://127.0.0.1:8081/sys/heartbeat → 200").
 */
export function describeCheck(check: Check): string {
  switch (check.kind) {
    case 'run':
      return `${commandLine({ kind: 'run', argv: check.argv, env: {}, timeoutMs: 0 })} → exit ${check.expect.exit}${check.expect.stdout !== undefined ? `, output /${check.expect.stdout}/` : ''}`;
    case 'shell':
      return `sh -c ${JSON.stringify(check.script)} → exit ${check.expect.exit}${check.expect.stdout !== undefined ? `, output /${check.expect.stdout}/` : ''}`;
    case 'http':
      return `${check.method} ${check.url} → ${check.expect.status}${check.expect.body !== undefined ? `, body /${check.expect.body}/` : ''}${check.retries ? ` (${check.retries} retries)` : ''}`;
    case 'tcp':
      return `tcp ${check.host}:${check.port} ${check.expect}`;
    case 'unix':
      return `unix ${check.path} ${check.expect}`;
    case 'file':
      return `file ${check.path} ${check.expect}${check.contains !== undefined ? `, contains /${check.contains}/` : ''}`;
    case 'env':
      return `env ${check.name} ${check.unset ? 'unset' : check.equals !== undefined ? `= ${JSON.stringify(check.equals)}` : check.matches !== undefined ? `~ /${check.matches}/` : 'set'}`;
    case 'builtin':
      return `builtin ${check.name}${check.name === 'disk_space' ? ` (${check.factor}× backup size)` : ''}${check.path ? ` in ${check.path}` : ''}`;
    case 'ack':
      return `ack ${JSON.stringify(check.question)}`;
  }
}
