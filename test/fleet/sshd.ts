import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, processAlive, waitDead } from '../helpers/checklists.js';
import { portOpen } from '../helpers/net.js';

/**
 * Debian's sshd, one per fleet host, each on a free port of 127.0.0.1 with a config, host key
 * and a client key authorised for root, all in a temp folder. `stop()` kills each sshd's whole
 * process group, so no session outlives the test.
 */

export interface SshHost {
  port: number;
  pid: number;
}

export interface SshFleet {
  clientKey: string;
  hosts: SshHost[];
  /** Inventory vars that reach these servers as root with the client key. */
  vars: Record<string, string>;
  stop(): Promise<void>;
}

export async function startSshd(dir: string, count: number): Promise<SshFleet> {
  mkdirSync(dir, { recursive: true });
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  const authorized = join(dir, 'authorized_keys');
  execFileSync('cp', [`${clientKey}.pub`, authorized]);
  // sshd refuses to start without its privilege-separation folder (Debian's unit makes it).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const children: ChildProcess[] = [];
  const hosts: SshHost[] = [];
  const stop = async () => {
    // Each SSH session is an sshd child in a session of its own (setsid): take them with the
    // listener, so the clients' ControlPersist masters see the end and exit too.
    const pids = children.flatMap((c) => (c.pid ? [c.pid, ...descendants(c.pid)] : []));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await Promise.all(pids.map((pid) => waitDead(pid)));
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const config = join(dir, `sshd_config.${i}`);
      writeFileSync(
        config,
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${hostKey}`,
          `PidFile ${join(dir, `sshd.${i}.pid`)}`,
          `AuthorizedKeysFile ${authorized}`,
          'PermitRootLogin prohibit-password',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'UsePAM no',
          'StrictModes no',
          'Subsystem sftp /usr/lib/openssh/sftp-server',
          'LogLevel ERROR',
          '',
        ].join('\n'),
      );
      const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], {
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      children.push(child);
      const deadline = Date.now() + 30_000;
      while (!(await portOpen(port))) {
        if (!child.pid || !processAlive(child.pid) || Date.now() > deadline)
          throw new Error(`sshd on port ${port} did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      hosts.push({ port, pid: child.pid as number });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    clientKey,
    hosts,
    vars: {
      ansible_host: '127.0.0.1',
      ansible_user: 'root',
      ansible_ssh_private_key_file: clientKey,
      // Masters in the test's folder, ended with the servers; no known_hosts touched.
      ansible_ssh_args: `-o ControlMaster=auto -o ControlPersist=30s -o ControlPath=${join(dir, 'cp-%C')}`,
      ansible_ssh_common_args:
        '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR',
      ansible_python_interpreter: '/usr/bin/python3',
    },
    stop,
  };
}

/** Every process below `pid` (by parent pid, from /proc). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(entry), ppid);
    } catch {}
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent)
      if (pp === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
}
