/**
 * The exclude globs of a system (`logs/**`, `**\/*.pyc`), matched against paths relative to the
 * system root with `/` separators. Our own ~60 lines rather than picomatch: we need five
 * constructs, and picomatch's defaults (dotfiles not matched, no basename matching) would need
 * overriding anyway to behave like rsync and .gitignore, which is what operators expect here.
 *
 * - `*` any run of characters within one name (dotfiles included), `?` one character,
 *   `[abc]` `[a-z]` `[!abc]` a class, `{a,b}` alternatives.
 * - `**` as a whole segment: zero or more folders. `logs/**` matches everything inside `logs/`
 *   but not `logs` itself (so the empty folder is kept, like .gitignore).
 * - A pattern without `/` matches a name at any depth (`*.pyc` = `**\/*.pyc`).
 * - A trailing `/` matches folders only; a leading `/` anchors at the root (the default anyway
 *   for patterns containing `/`).
 */

export type ExcludeMatcher = (relPath: string, isDir: boolean) => boolean;

export function compileExcludes(patterns: readonly string[]): ExcludeMatcher {
  const compiled = patterns.map(compileOne);
  if (compiled.length === 0) return () => false;
  return (relPath, isDir) => compiled.some((c) => (!c.dirOnly || isDir) && c.re.test(relPath));
}

function compileOne(pattern: string): { re: RegExp; dirOnly: boolean } {
  let p = pattern.trim();
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.replace(/\/+$/, '');
  const anchored = p.includes('/');
  p = p.replace(/^\/+/, '');
  if (!anchored) p = `**/${p}`;
  const segments = p.split('/');
  let source = '';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '**') {
      // `a/**/b`: zero or more folders between; trailing `a/**`: one or more names inside.
      source += last ? '.+' : '(?:.+/)?';
    } else {
      source += segmentSource(seg) + (last ? '' : '/');
    }
  });
  return { re: new RegExp(`^${source}$`, 's'), dirOnly };
}

function segmentSource(seg: string): string {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!;
    if (ch === '*') {
      while (seg[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^/' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = end;
    } else if (ch === '{') {
      const end = seg.indexOf('}', i);
      if (end < 0) {
        out += '\\{';
        continue;
      }
      const alternatives = seg.slice(i + 1, end).split(',');
      out += `(?:${alternatives.map(segmentSource).join('|')})`;
      i = end;
    } else if (ch === '\\' && i + 1 < seg.length) {
      out += escapeRe(seg[++i]!);
    } else {
      out += escapeRe(ch);
    }
  }
  return out;
}

function escapeRe(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}
