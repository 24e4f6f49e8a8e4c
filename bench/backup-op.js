#!/usr/bin/env node
// One operation of the backup engine in its own process, for bench/backup.js:
//   backup-op.js create WORKSPACE SOURCE | verify WORKSPACE | restore WORKSPACE TARGET
// (verify and restore act on the workspace's newest backup). Each imports only the module of
// its operation, as the CLI's bundle loads only the chunk of the command run: Node 20 pays
// ~2 ms per ESM module, and the engine's index would load all 30 of them for any one.
import { workspaceAt } from '../dist/core/workspace.js';

const [what, root, arg] = process.argv.slice(2);
const ws = workspaceAt(root);
// The newest id by name, as an operator passes one: not by reading every manifest.
const newest = async () => {
  const { readdir } = await import('node:fs/promises');
  const { compareIds, parseBackupId } = await import('../dist/backup/layout.js');
  return (await readdir(ws.backupsDir))
    .filter((n) => parseBackupId(n))
    .sort(compareIds)
    .at(-1);
};

if (what === 'create') {
  const { createBackup } = await import('../dist/backup/create.js');
  await createBackup({ ws, system: { name: 'tree', path: arg, exclude: [] }, phase: null, runId: null });
} else if (what === 'verify') {
  const { verifyBackup } = await import('../dist/backup/verify.js');
  const report = await verifyBackup(ws, await newest(), { deep: true });
  if (!report.ok) throw new Error(JSON.stringify(report.problems.slice(0, 5)));
} else if (what === 'restore') {
  const { restoreBackup } = await import('../dist/backup/restore.js');
  await restoreBackup({ ws, id: await newest(), to: arg, snapshot: false });
} else {
  throw new Error(`unknown operation ${what}`);
}
