import { execSync, spawnSync } from 'node:child_process';

/**
 * What the suite needs from the machine beyond `npm ci`: rsync (the runbook test replays the
 * manual rollback, whose restore lines are rsync) and python3 (the default plan's checks). On
 * a fresh Debian machine run as root, rsync and libxml2-utils (xmllint, for the JUnit schema
 * test) are installed from Debian's packages.
 */
export default function setup(): void {
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!has('rsync')) {
    if (process.getuid?.() === 0 && has('apt-get')) {
      execSync('apt-get update -qq && apt-get install -y -qq rsync', { stdio: 'ignore' });
    }
    if (!has('rsync'))
      throw new Error('the tests need rsync: install it (Debian: apt-get install rsync) and run again');
  }
  // xmllint validates the JUnit reports against the Jenkins and Ant schemas.
  if (!has('xmllint')) {
    if (process.getuid?.() === 0 && has('apt-get')) {
      execSync('apt-get update -qq && apt-get -o DPkg::Lock::Timeout=900 install -y -qq libxml2-utils', {
        stdio: 'ignore',
      });
    }
    if (!has('xmllint'))
      throw new Error(
        'the tests need xmllint: install it (Debian: apt-get install libxml2-utils) and run again',
      );
  }
  if (!has('python3'))
    throw new Error('the tests need python3 (the default plan calls it): install it and run again');
}
