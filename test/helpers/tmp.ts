import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];

/** A temp folder removed after the test, pass or fail. */
export function tempDir(prefix = 'gnrm-', parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  made.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // read-only modes inside a torture tree: make writable and retry
      try {
        execSync(`chmod -R u+rwX ${JSON.stringify(dir)} && rm -rf ${JSON.stringify(dir)}`);
      } catch {}
    }
  }
});
