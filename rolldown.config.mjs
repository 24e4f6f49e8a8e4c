import { defineConfig } from 'rolldown';

// The binary runs a bundle: Node 20 pays per ESM module loaded, and zod, yaml and commander
// are hundreds of small modules (start-up halves, see bench/startup.js). Commands stay
// separate chunks, imported only when run. tsc's per-module dist/ stays for benches and tests.
// The workers keep their own names so `new URL('./file-worker.js', import.meta.url)` resolves.
// `backup.js` is the backup engine alone, bundled as the CLI loads it, for bench/backup-op.js.
export default defineConfig({
  input: {
    main: 'dist/main.js',
    'file-worker': 'dist/backup/file-worker.js',
    'digest-worker': 'dist/backup/digest-worker.js',
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
