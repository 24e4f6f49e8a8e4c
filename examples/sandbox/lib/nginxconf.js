// Just enough of nginx's configuration language for the sandbox: a tokenizer and parser that
// report errors the way `nginx -t` does, `include` with globs, and the routing table (listen
// addresses, `location` prefixes and their `proxy_pass` upstreams).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';

export class NginxConfigError extends Error {}

function tokenize(text, file) {
  const tokens = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      i++;
    } else if (/\s/.test(ch)) i++;
    else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '{' || ch === '}' || ch === ';') {
      tokens.push({ t: ch, line });
      i++;
    } else if (ch === '"' || ch === "'") {
      const start = line;
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== ch) {
        if (text[j] === '\\' && j + 1 < text.length) {
          value += text[j + 1];
          j += 2;
          continue;
        }
        if (text[j] === '\n') line++;
        value += text[j++];
      }
      if (j >= text.length)
        throw new NginxConfigError(`unexpected end of file, expecting ";" or "}" in ${file}:${start}`);
      tokens.push({ t: 'word', v: value, line: start });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};#"']/.test(text[j])) j++;
      tokens.push({ t: 'word', v: text.slice(i, j), line });
      i = j;
    }
  }
  return { tokens, lastLine: line };
}

/** Parses one file into directives `{ name, args, block?, file, line }`, expanding includes. */
export function parseFile(file, depth = 0) {
  if (depth > 10) throw new NginxConfigError(`include nesting too deep at ${file}`);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NginxConfigError(
      `open() "${file}" failed (${err.code === 'ENOENT' ? '2: No such file or directory' : err.message})`,
    );
  }
  const { tokens, lastLine } = tokenize(text, file);
  let pos = 0;
  const parseBlock = (closing) => {
    const out = [];
    let words = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++];
      if (tok.t === 'word') {
        words.push(tok);
      } else if (tok.t === ';') {
        if (words.length === 0) throw new NginxConfigError(`unexpected ";" in ${file}:${tok.line}`);
        const [head, ...rest] = words;
        const d = { name: head.v, args: rest.map((w) => w.v), file, line: head.line };
        if (d.name === 'include') out.push(...expandInclude(d, depth));
        else out.push(d);
        words = [];
      } else if (tok.t === '{') {
        if (words.length === 0) throw new NginxConfigError(`unexpected "{" in ${file}:${tok.line}`);
        const [head, ...rest] = words;
        const block = parseBlock(true);
        out.push({ name: head.v, args: rest.map((w) => w.v), block, file, line: head.line });
        words = [];
      } else if (tok.t === '}') {
        if (!closing) throw new NginxConfigError(`unexpected "}" in ${file}:${tok.line}`);
        if (words.length > 0)
          throw new NginxConfigError(
            `unexpected "}" in ${file}:${tok.line} (directive "${words[0].v}" is not terminated by ";")`,
          );
        return out;
      }
    }
    if (closing) throw new NginxConfigError(`unexpected end of file, expecting "}" in ${file}:${lastLine}`);
    if (words.length > 0)
      throw new NginxConfigError(`unexpected end of file, expecting ";" or "}" in ${file}:${lastLine}`);
    return out;
  };
  return parseBlock(false);
}

function expandInclude(d, depth) {
  const pattern = d.args[0];
  if (!pattern)
    throw new NginxConfigError(`invalid number of arguments in "include" directive in ${d.file}:${d.line}`);
  const full = isAbsolute(pattern) ? pattern : join(dirname(d.file), pattern);
  const base = basename(full);
  if (!base.includes('*')) return parseFile(full, depth + 1);
  const dir = dirname(full);
  if (!existsSync(dir)) return [];
  const re = new RegExp(`^${base.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .flatMap((f) => parseFile(join(dir, f), depth + 1));
}

/** `http://host:port[/path]` or `http://unix:/path/to.sock:` → a connect target. */
export function parseUpstream(url, where) {
  let m = /^http:\/\/unix:([^:]+):?(\/.*)?$/.exec(url);
  if (m) return { socketPath: m[1], url };
  m = /^http:\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
  if (!m) throw new NginxConfigError(`invalid URL prefix in "${url}" in ${where}`);
  const host = m[1] === 'localhost' ? '127.0.0.1' : m[1];
  if (!/^[\d.]+$/.test(host)) throw new NginxConfigError(`host not found in upstream "${url}" in ${where}`);
  const port = Number(m[2] ?? 80);
  if (!(port > 0 && port < 65536))
    throw new NginxConfigError(`invalid port in upstream "${url}" in ${where}`);
  return { host, port, url };
}

/**
 * Loads and checks the whole configuration: the main file must have `events` and `http`, every
 * server a `listen`, every location a `proxy_pass` (or `return`). Returns the routing table.
 */
export function loadConfig(mainFile) {
  const top = parseFile(mainFile);
  if (!top.some((d) => d.name === 'events' && d.block))
    throw new NginxConfigError(`no "events" section in configuration in ${mainFile}`);
  const http = top.find((d) => d.name === 'http' && d.block);
  if (!http) throw new NginxConfigError(`no "http" section in ${mainFile}`);
  const pid = top.find((d) => d.name === 'pid')?.args[0] ?? null;
  const errorLog = top.find((d) => d.name === 'error_log')?.args[0] ?? null;
  const servers = [];
  for (const s of http.block.filter((d) => d.name === 'server')) {
    if (!s.block) throw new NginxConfigError(`"server" directive has no block in ${s.file}:${s.line}`);
    const where = `${s.file}:${s.line}`;
    const listens = s.block.filter((d) => d.name === 'listen');
    if (listens.length === 0) throw new NginxConfigError(`no "listen" directive in server at ${where}`);
    const listen = listens.map((l) => {
      const m = /^(?:([\d.]+|localhost):)?(\d+)$/.exec(l.args[0] ?? '');
      if (!m)
        throw new NginxConfigError(
          `invalid port in "${l.args[0]}" of the "listen" directive in ${l.file}:${l.line}`,
        );
      return { host: '127.0.0.1', port: Number(m[2]) };
    });
    const locations = [];
    for (const loc of s.block.filter((d) => d.name === 'location')) {
      const lwhere = `${loc.file}:${loc.line}`;
      if (!loc.block) throw new NginxConfigError(`"location" directive has no block in ${lwhere}`);
      const prefix = loc.args[loc.args.length - 1];
      if (!prefix)
        throw new NginxConfigError(`invalid number of arguments in "location" directive in ${lwhere}`);
      const pass = loc.block.filter((d) => d.name === 'proxy_pass');
      const ret = loc.block.find((d) => d.name === 'return');
      if (pass.length > 1)
        throw new NginxConfigError(`"proxy_pass" directive is duplicate in ${pass[1].file}:${pass[1].line}`);
      if (pass.length === 0 && !ret)
        throw new NginxConfigError(`location "${prefix}" has no proxy_pass in ${lwhere}`);
      for (const d of loc.block) {
        if (d.block)
          throw new NginxConfigError(`"${d.name}" directive is not allowed here in ${d.file}:${d.line}`);
        if (d.args.length === 0 && d.name !== 'internal')
          throw new NginxConfigError(
            `invalid number of arguments in "${d.name}" directive in ${d.file}:${d.line}`,
          );
      }
      locations.push({
        prefix,
        upstream: pass[0] ? parseUpstream(pass[0].args[0] ?? '', `${pass[0].file}:${pass[0].line}`) : null,
        returnCode: ret ? Number(ret.args[0]) : null,
      });
    }
    servers.push({ listen, locations: locations.sort((a, b) => b.prefix.length - a.prefix.length) });
  }
  if (servers.length === 0) throw new NginxConfigError(`no "server" in the "http" section of ${mainFile}`);
  return { servers, pid, errorLog };
}

/** The location a request path goes to: the longest matching prefix. */
export function route(server, path) {
  return server.locations.find((l) => path === l.prefix || path.startsWith(l.prefix)) ?? null;
}
