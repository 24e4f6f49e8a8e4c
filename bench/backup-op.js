#!/usr/bin/env node
// One operation of the backup engine in its own process, for bench/backup.js:
//   backup-op.js create WORKSPACE SOURCE | verify WORKSPACE | restore WORKSPACE TARGET
// (verify and restore act on the workspace's newest backup). The engine is imported from its
// bundle (dist/bundle/backup.js), as the CLI loads it: Node 20 pays ~2 ms per ESM module, and
// the engine is 30 of them in dist/.
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
  const { createBackup } = await import('../dist/bundle/backup.js');
  await createBackup({ ws, system: { name: 'tree', path: arg, exclude: [] }, phase: null, runId: null });
} else if (what === 'verify') {
  const { verifyBackup } = await import('../dist/bundle/backup.js');
  const report = await verifyBackup(ws, await newest(), { deep: true });
  if (!report.ok) throw new Error(JSON.stringify(report.problems.slice(0, 5)));
} else if (what === 'restore') {
  const { restoreBackup } = await import('../dist/bundle/backup.js');
  await restoreBackup({ ws, id: await newest(), to: arg, snapshot: false });
} else {
  throw new Error(`unknown operation ${what}`);
}
