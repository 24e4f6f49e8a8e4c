import { defineConfig } from 'vitest/config';

/**
 * `npm run test:realhost`: the end-to-end suite on a REAL Genropy host, built once per run by
 * examples/realhost from GENROPY_SRC (default ../shared/realhost/realhost-src.tar.gz beside the
 * clone) and Debian's packages. It skips, loudly, only when the sources are absent.
 */
export default defineConfig({
  test: {
    include: ['test/realhost/**/*.test.ts'],
    globalSetup: ['test/realhost/global-setup.ts'],
    // One host, shared: the files run one after the other, never in parallel.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 120_000,
    pool: 'forks',
    reporters: process.env.CI
      ? ['default', ['junit', { outputFile: 'test-results/junit-realhost.xml' }]]
      : ['default'],
  },
});
