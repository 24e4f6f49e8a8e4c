#!/usr/bin/env node
import { createBackup, listBackups, restoreBackup, verifyBackup } from '../dist/backup/index.js';
// One operation of the backup engine in its own process, for bench/backup.js:
//   backup-op.js create WORKSPACE SOURCE | verify WORKSPACE | restore WORKSPACE TARGET
// (verify and restore act on the workspace's newest backup).
import { workspaceAt } from '../dist/core/workspace.js';

const [what, root, arg] = process.argv.slice(2);
const ws = workspaceAt(root);
const newest = async () => (await listBackups(ws)).at(-1).id;

if (what === 'create') {
  await createBackup({ ws, system: { name: 'tree', path: arg, exclude: [] }, phase: null, runId: null });
} else if (what === 'verify') {
  const report = await verifyBackup(ws, await newest(), { deep: true });
  if (!report.ok) throw new Error(JSON.stringify(report.problems.slice(0, 5)));
} else if (what === 'restore') {
  await restoreBackup({ ws, id: await newest(), to: arg, snapshot: false });
} else {
  throw new Error(`unknown operation ${what}`);
}
