import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-host suite (vitest.realhost.config.ts) and the fleet's real tests (sshd, Ansible:
    // vitest.fleet.config.ts) are their own projects.
    exclude: ['test/realhost/**', 'test/fleet/**', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI
      ? ['default', ['junit', { outputFile: 'test-results/junit.xml' }]]
      : ['default'],
  },
});
