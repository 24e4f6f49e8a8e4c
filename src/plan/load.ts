import { createHash } from 'node:crypto';
import { isMap, LineCounter, type Node, parseDocument } from 'yaml';
import { InputError, PlanError, type PlanIssue } from '../core/errors.js';
import { MissingFileError, readBoundedFile } from '../core/read-file.js';

/** A plan file read and parsed, before schema validation. */
export interface PlanSource {
  file: string;
  text: string;
  /** sha256 of the file's bytes: the ledger records it to tell when the plan changed. */
  hash: string;
  data: unknown;
  /** Line and column (1-based) of a document path, or of its nearest existing parent. */
  locate(path: readonly PropertyKey[]): { line: number; column: number } | undefined;
}

export type DocPath = readonly PropertyKey[];

/** `phases[3].checks[1].http` */
export function formatDocPath(path: DocPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

export async function readPlanFile(file: string): Promise<PlanSource> {
  return parsePlanText(file, await readPlanBytes(file));
}

export async function readPlanBytes(file: string): Promise<Buffer> {
  try {
    // Bounded and regular files only: a plan that is a FIFO or /dev/zero is refused, not read.
    return await readBoundedFile(file, { what: 'the plan', maxBytes: 8 * 1024 * 1024 });
  } catch (err) {
    if (err instanceof MissingFileError) throw new InputError(`${file}: no such plan file`, { cause: err });
    throw err;
  }
}

export function hashPlanBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A source whose YAML is parsed only if a position is asked for: the data came from the plan
 * cache, and line numbers are needed only to report a problem.
 */
export function deferredSource(file: string, bytes: Uint8Array, hash: string, data: unknown): PlanSource {
  let parsed: PlanSource | undefined;
  return {
    file,
    get text() {
      return Buffer.from(bytes).toString('utf8');
    },
    hash,
    data,
    locate(path) {
      parsed ??= parsePlanText(file, bytes);
      return parsed.locate(path);
    },
  };
}

export function parsePlanText(file: string, bytes: Uint8Array): PlanSource {
  const hash = hashPlanBytes(bytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const line = countLines(bytes, offset);
    throw new PlanError([
      {
        file,
        line,
        column: 1,
        path: '',
        message: `not valid UTF-8 (byte 0x${bytes[offset]?.toString(16)} at offset ${offset}); save the plan as UTF-8`,
      },
    ]);
  }
  if (text.trim() === '') {
    throw new PlanError([
      {
        file,
        line: 1,
        column: 1,
        path: '',
        message: 'the plan file is empty; run `gnr-migrate init` to write the default plan',
      },
    ]);
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: PlanIssue[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return {
        file,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        path: '',
        message: `YAML syntax: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      };
    });
    throw new PlanError(issues);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    // yaml refuses a "billion laughs" document (aliases expanding exponentially) here.
    throw new PlanError([
      {
        file,
        path: '',
        message: `YAML aliases expand too far (${(err as Error).message.split('\n')[0]}); write the values out instead of nesting aliases`,
      },
    ]);
  }
  const locate = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
      if (node && typeof node === 'object' && 'range' in node && node.range) {
        const pos = lineCounter.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return undefined;
  };
  // A key's own position reads better than its value's for "unknown key" errors.
  const locateKey = (path: readonly PropertyKey[]) => {
    if (path.length === 0) return locate(path);
    const parent = doc.getIn(path.slice(0, -1) as unknown[], true) as Node | undefined;
    if (parent && isMap(parent)) {
      const last = path[path.length - 1];
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === last);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range) {
        const pos = lineCounter.linePos(keyNode.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return locate(path);
  };
  return { file, text, hash, data, locate: locateKey };
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // Binary search for the shortest prefix that fails to decode.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    try {
      decoder.decode(bytes.subarray(0, mid + 1), { stream: true });
      decoder.decode();
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return Math.min(lo, bytes.length - 1);
}

function countLines(bytes: Uint8Array, upTo: number): number {
  let line = 1;
  for (let i = 0; i < upTo; i++) if (bytes[i] === 0x0a) line++;
  return line;
}
