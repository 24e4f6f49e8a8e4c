import { defineConfig } from 'vitest/config';

/**
 * The fleet's real tests (`npm run test:fleet`): Debian's sshd and ansible-core, sandbox hosts,
 * real waves. Apart from the main suite because they need those packages and take minutes.
 */
export default defineConfig({
  test: {
    include: ['test/fleet/**/*.test.ts'],
    globalSetup: ['test/fleet/setup.ts'],
    testTimeout: 20 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    // One fleet at a time: each already runs many hosts at once.
    fileParallelism: false,
    reporters: process.env.CI
      ? ['default', ['junit', { outputFile: 'test-results/junit-fleet.xml' }]]
      : ['default'],
  },
});
