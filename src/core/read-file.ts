import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError } from './errors.js';

/**
 * The one way the tool reads a file it was pointed at (plan, ledger, lock, metrics, failure
 * records): a regular file of bounded size, or an operator error that says what to fix.
 *
 * Why not `readFile`: a FIFO blocks it forever (until a writer comes), `/dev/zero` or
 * `/dev/urandom` never end (the plan symlinked to /dev/zero was read until 8.9 GB of RAM), and
 * a file in /proc reports size 0. So: open with O_NONBLOCK (a FIFO open returns at once), check
 * with fstat on the opened descriptor (no race with a swapped path) that it is a regular file,
 * and read at most `maxBytes + 1` bytes whatever the size says.
 */

/** Plans, ledgers and metrics are kilobytes; the largest ledger measured (10k runs) is 6 MiB. */
export const defaultMaxBytes = 64 * 1024 * 1024;

export interface ReadOptions {
  /** What the file is, for messages: "the plan", "the ledger". */
  what: string;
  maxBytes?: number;
}

/** Thrown (as an InputError) for a file that is absent, so callers can treat it as optional. */
export class MissingFileError extends InputError {
  readonly path: string;
  constructor(path: string, what: string, options?: { cause?: unknown }) {
    super(`${path}: no such file (${what})`, options);
    this.path = path;
  }
}

export async function readBoundedFile(path: string, options: ReadOptions): Promise<Buffer> {
  const max = options.maxBytes ?? defaultMaxBytes;
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw openError(path, options.what, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile())
      throw new InputError(
        `${path}: ${options.what} must be a regular file, but this is ${kindOf(st)}; point to a file`,
      );
    if (st.size > max) throw tooBig(path, options.what, max);
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(Math.min(max + 1, Math.max(st.size + 1, 64 * 1024)));
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, max + 1 - total), null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, bytesRead)));
      total += bytesRead;
      if (total > max) throw tooBig(path, options.what, max);
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw readError(path, options.what, err);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** The same, decoded as UTF-8. */
export async function readBoundedText(path: string, options: ReadOptions): Promise<string> {
  return (await readBoundedFile(path, options)).toString('utf8');
}

/** `readBoundedText`, or `undefined` when the file does not exist (an empty ledger, no lock). */
export async function readOptionalText(path: string, options: ReadOptions): Promise<string | undefined> {
  try {
    return await readBoundedText(path, options);
  } catch (err) {
    if (err instanceof MissingFileError) return undefined;
    throw err;
  }
}

function kindOf(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function tooBig(path: string, what: string, max: number): InputError {
  return new InputError(
    `${path}: ${what} is larger than ${Math.round(max / 1024 / 1024)} MiB, which no genuine one is; check the path`,
  );
}

function openError(path: string, what: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new MissingFileError(path, what, { cause: err });
  return readError(path, what, err);
}

/** An OS error reading a file, as a message that says what to fix. */
export function readError(path: string, what: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    EACCES: 'permission denied: run as a user who may read it, or fix its mode',
    EPERM: 'operation not permitted',
    EISDIR: `is a folder; ${what} must be a file`,
    ENOTDIR: 'a part of the path is not a folder',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'the path is too long',
    EIO: 'input/output error from the disk',
    ENXIO: 'no such device',
  };
  return new InputError(`${path}: cannot read ${what}: ${(code && why[code]) ?? code ?? String(err)}`, {
    cause: err,
  });
}
