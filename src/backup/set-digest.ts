import * as crypto from 'node:crypto';
import type { FileStat } from './file-ops.js';

/**
 * One-shot hashing (Node 20.12+) where there is one: a hash object per member cost 1.5–7 µs
 * where this costs 0.4–2, and a million-file backup hashes two million members.
 */
const sha256: (text: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'buffer')
    : (text) => crypto.createHash('sha256').update(text).digest();

/**
 * A digest of a set that does not depend on the order its members come in: the sum, modulo
 * 2²⁵⁶, of each member's sha256. find lists a tree in the order of its folders on disk and a
 * backup is built in the walk's order (order.ts); this says whether the two hold the same
 * entries without sorting either or holding a million of them. Members are distinct paths,
 * so none is counted twice.
 */
export class SetDigest {
  /** Eight 32-bit words, most significant first. */
  private readonly sum = new Uint32Array(8);
  private readonly member = new Uint32Array(8);

  add(member: string): void {
    const d = sha256(member);
    for (let w = 0; w < 8; w++) this.member[w] = d.readUInt32BE(w * 4);
    this.addWords(this.member);
  }

  /** Another sum's words (a worker thread's part of the set): the sum is the same however it is split. */
  addWords(words: ArrayLike<number>): void {
    let carry = 0;
    for (let w = 7; w >= 0; w--) {
      const total = this.sum[w]! + words[w]! + carry;
      this.sum[w] = total >>> 0;
      carry = total > 0xffffffff ? 1 : 0;
    }
  }

  words(): number[] {
    return [...this.sum];
  }

  hex(): string {
    return [...this.sum].map((w) => w.toString(16).padStart(8, '0')).join('');
  }
}

/**
 * One entry as find lists it and as a backup keeps it: type, path, size, times, mode, owner,
 * inode and symlink target. Equal for every entry means the backup holds the tree find listed,
 * each file read as it was listed (its change time moves on any write).
 */
export function entryRecord(
  type: 'file' | 'dir' | 'symlink',
  path: string,
  st: FileStat,
  size: number,
  target = '',
): string {
  return `${type}\0${path}\0${size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.mode & 0o7777}\0${st.uid}\0${st.gid}\0${st.ino}\0${type === 'symlink' ? target : ''}`;
}
