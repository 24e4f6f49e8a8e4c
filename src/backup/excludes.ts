/**
 * The one exclude dialect of a system (`logs/**`, `*.pyc`, `cache/`): parsed once here, and
 * that parse feeds everything that must agree on what a pattern leaves out — the matcher of the
 * walk and the restore's carry-over, the `find` pruning of the listing (find-scan.ts), and the
 * `rsync --exclude` arguments of the runbook's manual restore. Three hand-written dialects
 * drifted before: `logs/**` was anchored for the tool and floating for rsync, so the runbook's
 * restore left out `sub/logs/x` that the backup held.
 *
 * Matched against paths relative to the system root with `/` separators:
 * - `*` any run of characters within one name (dotfiles included), `?` one character,
 *   `[abc]` `[a-z]` `[!abc]` a class, `{a,b}` alternatives, `\x` a literal x.
 * - `**` as a whole segment: zero or more folders. `logs/**` matches everything inside `logs/`
 *   but not `logs` itself (so the empty folder is kept, like .gitignore).
 * - A pattern without `/` matches a name at any depth (`*.pyc` = `**\/*.pyc`); one with a `/`
 *   is anchored at the system root (a leading `/` says so explicitly).
 * - A trailing `/` matches folders only.
 */

export type ExcludeMatcher = (relPath: string, isDir: boolean) => boolean;

type Part =
  | { t: 'lit'; s: string }
  | { t: 'star' }
  | { t: 'one' }
  | { t: 'class'; negate: boolean; body: string }
  | { t: 'alt'; options: Part[][] };

/** A whole `**` segment, or a name made of parts. */
type Segment = { t: 'dirs' } | { t: 'name'; parts: Part[] };

export interface ExcludeRule {
  pattern: string;
  /** Has a `/` (other than a trailing one): matched from the root, not at any depth. */
  anchored: boolean;
  dirOnly: boolean;
  segments: Segment[];
}

export function parseExclude(pattern: string): ExcludeRule {
  let p = pattern.trim();
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.replace(/\/+$/, '');
  const anchored = p.includes('/');
  p = p.replace(/^\/+/, '');
  const segments: Segment[] = p
    .split('/')
    .map((seg) => (seg === '**' ? { t: 'dirs' } : { t: 'name', parts: parseParts(seg) }));
  return { pattern, anchored, dirOnly, segments };
}

function parseParts(seg: string): Part[] {
  const parts: Part[] = [];
  const lit = (s: string) => {
    const last = parts[parts.length - 1];
    if (last?.t === 'lit') last.s += s;
    else parts.push({ t: 'lit', s });
  };
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!;
    if (ch === '*') {
      while (seg[i + 1] === '*') i++;
      parts.push({ t: 'star' });
    } else if (ch === '?') parts.push({ t: 'one' });
    else if (ch === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) {
        lit('[');
        continue;
      }
      let body = seg.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      parts.push({ t: 'class', negate, body });
      i = end;
    } else if (ch === '{') {
      const end = seg.indexOf('}', i);
      if (end < 0) {
        lit('{');
        continue;
      }
      parts.push({
        t: 'alt',
        options: seg
          .slice(i + 1, end)
          .split(',')
          .map(parseParts),
      });
      i = end;
    } else if (ch === '\\' && i + 1 < seg.length) lit(seg[++i]!);
    else lit(ch);
  }
  return parts;
}

// ---- the matcher (walk, carry-over) ----

export function compileExcludes(patterns: readonly string[]): ExcludeMatcher {
  const compiled = patterns.map((p) => {
    const rule = parseExclude(p);
    return { re: ruleRegExp(rule), dirOnly: rule.dirOnly };
  });
  if (compiled.length === 0) return () => false;
  return (relPath, isDir) => compiled.some((c) => (!c.dirOnly || isDir) && c.re.test(relPath));
}

function ruleRegExp(rule: ExcludeRule): RegExp {
  const segments: Segment[] = rule.anchored ? rule.segments : [{ t: 'dirs' }, ...rule.segments];
  let source = '';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    // `a/**/b`: zero or more folders between; trailing `a/**`: one or more names inside.
    if (seg.t === 'dirs') source += last ? '.+' : '(?:.+/)?';
    else source += partsRe(seg.parts) + (last ? '' : '/');
  });
  return new RegExp(`^${source}$`, 's');
}

function partsRe(parts: Part[]): string {
  return parts
    .map((p) => {
      if (p.t === 'lit') return p.s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      if (p.t === 'star') return '[^/]*';
      if (p.t === 'one') return '[^/]';
      if (p.t === 'class')
        return `[${p.negate ? '^/' : ''}${p.body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      return `(?:${p.options.map(partsRe).join('|')})`;
    })
    .join('');
}

// ---- find pruning (find-scan.ts) ----

/**
 * find tests for folders the walk will not enter, so find does not list what is inside either
 * (a `logs/**` of a million files). Only where that is certain: the contents of a literal
 * folder (`logs/**`) and a literal name at any depth (`__pycache__/`). An entry matched is
 * listed and not entered, as the walk lists it and does not enter it; other patterns prune
 * nothing: find lists what they match and the matcher drops it. `root` '': for a find run in
 * the root with its folders as start points, whose paths are relative (`logs/*`).
 */
export function findPruneTests(root: string, patterns: readonly string[]): string[][] {
  const tests: string[][] = [];
  for (const rule of patterns.map(parseExclude)) {
    const type = rule.dirOnly ? ['-type', 'd'] : [];
    const names = rule.segments.map(literalName);
    const last = rule.segments[rule.segments.length - 1]!;
    if (rule.anchored && last.t === 'dirs' && names.length > 1 && names.slice(0, -1).every((n) => n))
      tests.push([
        '-path',
        `${root === '' ? '' : `${escapeGlob(root)}/`}${names
          .slice(0, -1)
          .map((n) => escapeGlob(n!))
          .join('/')}/*`,
        ...type,
      ]);
    else if (!rule.anchored && names.length === 1 && names[0])
      tests.push(['-name', escapeGlob(names[0]), ...type]);
  }
  return tests;
}

/** The name a segment matches when it has no wildcard; undefined otherwise. */
function literalName(seg: Segment): string | undefined {
  if (seg.t !== 'name' || seg.parts.length !== 1 || seg.parts[0]!.t !== 'lit') return undefined;
  const s = seg.parts[0]!.s;
  return s === '.' || s === '..' || s === '' ? undefined : s;
}

export const escapeGlob = (path: string) => path.replace(/[*?[\]\\]/g, '\\$&');

// ---- rsync (the runbook's manual restore) ----

/**
 * `--exclude=…` arguments that leave out exactly what the matcher does, for
 * `rsync -a SRC/ DST/`: an anchored pattern gets rsync's leading `/`; `{a,b}` (which rsync
 * lacks) and `a/**\/b` (zero folders between, which rsync's `**` does not promise) are
 * expanded into several patterns; `*` never crosses a `/`, as ours.
 */
export function rsyncExcludeArgs(patterns: readonly string[]): string[] {
  const out: string[] = [];
  for (const rule of patterns.map(parseExclude))
    for (const p of rsyncPatterns(rule)) if (!out.includes(`--exclude=${p}`)) out.push(`--exclude=${p}`);
  return out;
}

function rsyncPatterns(rule: ExcludeRule): string[] {
  let variants: string[][] = [[]];
  rule.segments.forEach((seg, i) => {
    const last = i === rule.segments.length - 1;
    if (seg.t === 'dirs') {
      // In the middle, zero or more folders: once without the segment, once with `**`.
      variants = last ? variants.map((v) => [...v, '**']) : variants.flatMap((v) => [v, [...v, '**']]);
    } else {
      const names = expandParts(seg.parts);
      variants = variants.flatMap((v) => names.map((n) => [...v, n]));
    }
  });
  return variants.map((v) => `${rule.anchored ? '/' : ''}${v.join('/')}${rule.dirOnly ? '/' : ''}`);
}

function expandParts(parts: Part[]): string[] {
  let acc = [''];
  for (const p of parts) {
    if (p.t === 'alt') {
      const options = p.options.flatMap(expandParts);
      acc = acc.flatMap((a) => options.map((o) => a + o));
      continue;
    }
    const s =
      p.t === 'lit'
        ? p.s.replace(/[*?[\\]/g, '\\$&')
        : p.t === 'star'
          ? '*'
          : p.t === 'one'
            ? '?'
            : `[${p.negate ? '!' : ''}${p.body}]`;
    acc = acc.map((a) => a + s);
  }
  return acc;
}
