import { isUtf8 } from 'node:buffer';

/**
 * File names are bytes; ours are strings. A name that is valid UTF-8 is its string, as
 * everywhere in Node. A byte that is not part of valid UTF-8 (`bad\xffname`, from a Latin-1
 * upload) becomes the lone surrogate U+DC80–U+DCFF of that byte — Python's "surrogateescape" —
 * which no valid UTF-8 can produce, so the mapping is lossless both ways. JSON.stringify writes
 * such a character as `\udcff`, so the manifest keeps the name exactly (schema version 2), and
 * `fsPath` gives the system the original bytes back. Before this, Node's readdir turned the
 * byte into U+FFFD, a name no system call could find: the file was left out as "vanished".
 */

/** A lone U+DC80–U+DCFF (not the second half of a surrogate pair): an escaped byte. */
const escapedByte = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

export function decodeName(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i]!;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n > 0 && i + n <= bytes.length && isUtf8(bytes.subarray(i, i + n))) {
      out += bytes.toString('utf8', i, i + n);
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + c);
      i++;
    }
  }
  return out;
}

/** Whether a name or path holds escaped bytes (so it must go to the system as a Buffer). */
export const hasEscapedBytes = (s: string): boolean => escapedByte.test(s);

/** What to hand a system call for a path: the string itself, or its bytes when it has escapes. */
export function fsPath(s: string): string | Buffer {
  return escapedByte.test(s) ? encodeName(s) : s;
}

export function encodeName(s: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u < 0xdc80 || u > 0xdcff) continue;
    const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
    if (prev >= 0xd800 && prev <= 0xdbff) continue; // the low half of a pair
    parts.push(Buffer.from(s.slice(start, i), 'utf8'), Buffer.of(u - 0xdc00));
    start = i + 1;
  }
  parts.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(parts);
}
