import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The fleet tests need Ansible and an SSH server, from Debian: `ansible-core` and
 * `openssh-server`. `.ci/run` installs them; on a Debian machine run as root this does too.
 */
export default function setup(): void {
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  const ready = () =>
    has('ansible-playbook') && has('ansible-inventory') && existsSync('/usr/sbin/sshd') && has('ssh-keygen');
  if (!ready() && process.getuid?.() === 0 && has('apt-get')) {
    execSync(
      'apt-get -o DPkg::Lock::Timeout=900 update -qq && apt-get -o DPkg::Lock::Timeout=900 install -y -qq ansible-core openssh-server',
      { stdio: 'ignore' },
    );
  }
  if (!ready())
    throw new Error(
      'the fleet tests need ansible-core and openssh-server (Debian: apt-get install ansible-core openssh-server)',
    );
}
