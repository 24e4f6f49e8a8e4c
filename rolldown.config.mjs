import { defineConfig } from 'rolldown';

// The binary runs a bundle: Node 20 pays per ESM module loaded, and zod, yaml and commander
// are hundreds of small modules (start-up halves, see bench/startup.js). Commands stay
// separate chunks, imported only when run. tsc's per-module dist/ stays for benches and tests.
// The worker keeps its own name so `new URL('./file-worker.js', import.meta.url)` resolves.
// `backup.js` is the backup engine alone, bundled as the CLI loads it, for bench/backup-op.js.
export default defineConfig({
  input: {
    main: 'dist/main.js',
    'file-worker': 'dist/backup/file-worker.js',
    backup: 'dist/backup/index.js',
  },
  platform: 'node',
  output: {
    dir: 'dist/bundle',
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
  },
});
