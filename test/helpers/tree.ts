import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtimeMs: number;
  size: number;
  sha256?: string;
  target?: string;
}

/** A walk of a tree by the test itself (not by the tool): type, mode, mtime, content, link target. */
export function walkTree(root: string, withHash = true): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const visit = (rel: string) => {
    const abs = rel ? join(root, rel) : root;
    const st = lstatSync(abs);
    const mode = st.mode & 0o7777;
    if (st.isSymbolicLink()) {
      out.set(rel, { type: 'symlink', mode, mtimeMs: st.mtimeMs, size: 0, target: readlinkSync(abs) });
    } else if (st.isDirectory()) {
      if (rel) out.set(rel, { type: 'dir', mode, mtimeMs: st.mtimeMs, size: 0 });
      for (const name of readdirSync(abs).sort()) visit(rel ? join(rel, name) : name);
    } else {
      const entry: TreeEntry = { type: 'file', mode, mtimeMs: st.mtimeMs, size: st.size };
      if (withHash) entry.sha256 = createHash('sha256').update(readFileSync(abs)).digest('hex');
      out.set(rel, entry);
    }
  };
  visit('');
  return out;
}
