/**
 * The one order of a tree's entries: the walk's (walk.ts) and every manifest's. Kept apart
 * from the walk so that reading a manifest does not load it.
 */

/** Names within a folder: by UTF-16 code unit, as `<` compares strings. */
export const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/**
 * The walk's order (walk.ts): folder by folder, each folder's entries together, sorted by
 * name (`byName`), and the folders visited depth first, in the order they were listed. So an
 * entry comes after the folders above it, and two entries compare as their folders do, or by
 * name within one folder. Manifests are written in this order, so a walk and a manifest can be
 * read side by side.
 */
export function compareEntries(a: string, b: string): number {
  const sa = a.lastIndexOf('/');
  const sb = b.lastIndexOf('/');
  // Two entries of one folder, the most common pair: past their equal folders the paths
  // compare as their names do.
  if (sa === sb && (sa < 0 || a.startsWith(b.slice(0, sa)))) return a < b ? -1 : a > b ? 1 : 0;
  const byFolder = compareFolders(sa < 0 ? '' : a.slice(0, sa), sb < 0 ? '' : b.slice(0, sb));
  if (byFolder !== 0) return byFolder;
  const na = a.slice(sa + 1);
  const nb = b.slice(sb + 1);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/**
 * The order the walk visits folders in: depth first, names by `byName`, so `/` (the end of a
 * name) sorts before any character a name can hold; '' (the root) first.
 */
export function compareFolders(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === 0x2f) return -1;
    if (y === 0x2f) return 1;
    return x - y;
  }
  return a.length - b.length;
}

/** One path of two streams joined: what each side has of it (one side at least). */
export type Joined<A, B> = [A | undefined, B | undefined];

/**
 * Two streams of entries, each in the walk's order, side by side: each path once, with what
 * each side has of it. A batch at a time: neither side is held whole.
 */
export async function* joinByPath<A extends { path: string }, B extends { path: string }>(
  left: AsyncIterable<A[]>,
  right: AsyncIterable<B[]>,
): AsyncGenerator<Array<Joined<A, B>>> {
  const li = left[Symbol.asyncIterator]();
  const ri = right[Symbol.asyncIterator]();
  let la: A[] = [];
  let ra: B[] = [];
  let l = 0;
  let r = 0;
  let lDone = false;
  let rDone = false;
  try {
    yield* joined();
  } finally {
    // Stopped early (an error, an abort): the sides close too (a manifest holds a descriptor).
    await li.return?.();
    await ri.return?.();
  }
  async function* joined(): AsyncGenerator<Array<Joined<A, B>>> {
    for (;;) {
      if (l === la.length && !lDone) {
        const next = await li.next();
        if (next.done) lDone = true;
        else [la, l] = [next.value, 0];
        continue;
      }
      if (r === ra.length && !rDone) {
        const next = await ri.next();
        if (next.done) rDone = true;
        else [ra, r] = [next.value, 0];
        continue;
      }
      if (l === la.length && r === ra.length) return;
      const out: Array<Joined<A, B>> = [];
      while (l < la.length && r < ra.length) {
        const a = la[l]!.path;
        const b = ra[r]!.path;
        const order = a === b ? 0 : compareEntries(a, b);
        if (order === 0) out.push([la[l++], ra[r++]]);
        else if (order < 0) out.push([la[l++], undefined]);
        else out.push([undefined, ra[r++]]);
      }
      // One side is done: the rest of the other goes alone.
      if (rDone) while (l < la.length) out.push([la[l++], undefined]);
      if (lDone) while (r < ra.length) out.push([undefined, ra[r++]]);
      if (out.length > 0) yield out;
    }
  }
}
