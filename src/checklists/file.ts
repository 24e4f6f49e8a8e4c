import { readFile, stat } from 'node:fs/promises';
import type { Check } from '../plan/types.js';
import type { ChecklistContext } from './types.js';
import { compile, error, fail, inWorkspace, pass, type Verdict } from './verdict.js';

type FileCheck = Extract<Check, { kind: 'file' }>;

/** Config files are small; a bigger file is read up to this much for `contains`. */
const readLimit = 16 * 1024 * 1024;

/**
 * `file: PATH`, `expect: exists|absent`, `contains: "regex"` (multiline: `^` and `$` match at
 * each line, as in grep). Relative paths are relative to the workspace.
 */
export async function evaluateFile(check: FileCheck, ctx: ChecklistContext): Promise<Verdict> {
  const path = inWorkspace(ctx, check.path);
  const where = `file ${path}`;
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return check.expect === 'absent' ? pass(`${where}: absent`) : fail(`${where}: not found`);
    if (code === 'EACCES') return error(`${where}: permission denied (run as the deploy user?)`);
    return error(`${where}: cannot stat (${code ?? String(err)})`);
  }
  if (check.expect === 'absent')
    return fail(`${where}: exists (a ${st.isDirectory() ? 'folder' : 'file'}), expected absent`);
  if (check.contains === undefined) return pass(`${where}: exists`);
  if (st.isDirectory()) return error(`${where}: is a folder; \`contains\` needs a file`);
  const re = compile(check.contains, 'm');
  if (typeof re === 'string') return error(`${where}: ${re}`);
  let text: string;
  try {
    const buf = await readFile(path);
    text = buf.subarray(0, readLimit).toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return error(
      `${where}: cannot read (${code === 'EACCES' ? 'permission denied' : (code ?? String(err))})`,
    );
  }
  return re.test(text)
    ? pass(`${where}: contains /${check.contains}/`)
    : fail(`${where}: does not contain /${check.contains}/`);
}
