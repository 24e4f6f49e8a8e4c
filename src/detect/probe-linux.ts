import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { homedir } from 'node:os';
import { runProcess } from '../core/process.js';
import type { HostProbe, ProcInfo } from './probe.js';

/** The host as Linux shows it: files, /proc, and programs run with a short timeout. */
export function linuxProbe(env: Record<string, string | undefined>, root = '/'): HostProbe {
  return {
    env,
    home: env.HOME || homedir(),
    root,
    async readText(path) {
      try {
        return await readFile(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    async isDir(path) {
      return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
    },
    async isFile(path) {
      return (await stat(path).catch(() => undefined))?.isFile() ?? false;
    },
    async realPath(path) {
      return realpath(path).catch(() => path);
    },
    async list(path) {
      return readdir(path).catch(() => []);
    },
    processes: () => readProcesses(),
    portInUse: (host, port) =>
      new Promise((resolve) => {
        const sock = connect({ host, port });
        const done = (open: boolean) => {
          sock.destroy();
          resolve(open);
        };
        sock.setTimeout(1000, () => done(false));
        sock.once('connect', () => done(true));
        sock.once('error', () => done(false));
      }),
    freePort: (host) =>
      new Promise((resolve, reject) => {
        const srv = createServer();
        srv.once('error', reject);
        srv.listen(0, host, () => {
          const { port } = srv.address() as { port: number };
          srv.close(() => resolve(port));
        });
      }),
    async run(argv) {
      const r = await runProcess({
        kind: 'run',
        argv,
        timeoutMs: 15_000,
        env: { LC_ALL: 'C', SYSTEMD_COLORS: '0' },
      });
      return {
        exit: r.exitCode,
        stdout: r.stdout,
        stderr: r.stderr,
        ...(r.startError ? { error: r.startError } : r.timedOut ? { error: 'timed out after 15s' } : {}),
      };
    },
  };
}

async function readProcesses(): Promise<ProcInfo[]> {
  const names = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  const procs = await Promise.all(names.map((n) => readProcess(Number(n))));
  return procs.filter((p): p is ProcInfo => p !== undefined);
}

async function readProcess(pid: number): Promise<ProcInfo | undefined> {
  if (pid === process.pid) return undefined;
  try {
    const [cmdline, stat] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    const argv = cmdline.split('\0');
    while (argv.length > 0 && argv[argv.length - 1] === '') argv.pop();
    if (argv.length === 0) return undefined; // a kernel thread
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const env: Record<string, string> = {};
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    for (const kv of environ.split('\0')) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const exe = await readlink(`/proc/${pid}/exe`).catch(() => undefined);
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
    return { pid, ppid, argv, env, ...(exe ? { exe } : {}), ...(cwd ? { cwd } : {}) };
  } catch {
    return undefined; // gone while we looked
  }
}
