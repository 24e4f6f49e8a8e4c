import { defineConfig } from 'rolldown';

// The binary runs a bundle: Node 20 pays per ESM module loaded, and zod, yaml and commander
// are hundreds of small modules (start-up halves, see bench/startup.js). Commands stay
// separate chunks, imported only when run. tsc's per-module dist/ stays for benches and tests.
// `backup.js` is the backup engine alone, bundled as the CLI loads it, for bench/backup-op.js.
// The worker threads are bundled apart (the second build): each loads only what it runs, not
// the chunk of the backup engine it shares with the CLI (548 kB). A worker's heap is then what
// its files need, and its young-generation collections are cheaper: a 200,000-file incremental
// backup took 3.53–3.58 s against 3.73–3.84 s. They keep their own names so
// `new URL('./file-worker.js', import.meta.url)` resolves.
const main = defineConfig({
  input: {
    main: 'dist/main.js',
    backup: 'dist/backup/index.js',
  },
  platform: 'node',
  output: {
    dir: 'dist/bundle',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
    // Fewer, larger files for the package (< 60 files): our small shared core and ui modules in
    // one chunk each, and listr2's terminal helpers with listr2 (only loaded together anyway).
    codeSplitting: {
      groups: [
        { name: 'core', test: /[\\/]dist[\\/]core[\\/]/ },
        { name: 'ui', test: /[\\/]dist[\\/]ui[\\/]/ },
        // The ledger, the phase/rollback machinery and the small read-only commands: each set is
        // loaded together by the commands that use it, so one file each costs no start-up.
        { name: 'ledger', test: /[\\/]dist[\\/]ledger[\\/]/ },
        { name: 'phases', test: /[\\/]dist[\\/](phases|rollback)[\\/]/ },
        {
          name: 'commands',
          test: /[\\/]dist[\\/]commands[\\/](backup-|failures-|plan-|unlock|history)/,
        },
        {
          name: 'listr2',
          test: /node_modules[\\/](listr2|cli-truncate|wrap-ansi|strip-ansi|ansi-regex|ansi-styles|string-width|slice-ansi|log-update|is-fullwidth-code-point|emoji-regex|get-east-asian-width|cli-cursor|restore-cursor|onetime|mimic-function|signal-exit|eventemitter3|rfdc|colorette)[\\/]/,
        },
      ],
    },
  },
});

const workers = defineConfig({
  input: {
    'file-worker': 'dist/backup/file-worker.js',
    'digest-worker': 'dist/backup/digest-worker.js',
  },
  platform: 'node',
  output: {
    dir: 'dist/bundle',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: 'worker-[name]-[hash].js',
    sourcemap: true,
  },
});

export default [main, workers];
