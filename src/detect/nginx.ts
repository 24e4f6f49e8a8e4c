import { dirname, isAbsolute, join } from 'node:path';
import type { HostProbe } from './probe.js';
import { expandGlob } from './supervisord.js';

export interface NginxLocation {
  path: string;
  /** proxy_pass exactly as written. */
  proxyPass?: string;
  file: string;
  line: number;
}

export interface NginxServer {
  file: string;
  line: number;
  /** `listen` arguments as written (first word of each). */
  listen: string[];
  locations: NginxLocation[];
}

export interface NginxConfig {
  file: string;
  /** Every file read (the main one and its includes). */
  files: string[];
  servers: NginxServer[];
  /** upstream name → its `server` addresses. */
  upstreams: Record<string, string[]>;
}

interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
  file: string;
  line: number;
}

/** nginx's syntax: words and quoted strings, `;` ends a directive, `{ … }` a block, `#` comments. */
export function parseNginx(text: string, file: string): Directive[] {
  const tokens: { t: string; line: number }[] = [];
  let line = 1;
  const re = /#[^\n]*|"((?:\\.|[^"\\])*)"|'((?:\\.|[^'\\])*)'|([{};])|([^\s{};"'#]+)|(\n)/g;
  for (const m of text.matchAll(re)) {
    if (m[5]) line++;
    else if (m[0].startsWith('#')) continue;
    else tokens.push({ t: m[1] ?? m[2] ?? m[3] ?? m[4] ?? '', line });
    if (m[1] !== undefined || m[2] !== undefined) line += (m[0].match(/\n/g) ?? []).length;
  }
  let i = 0;
  const block = (): Directive[] => {
    const out: Directive[] = [];
    let words: { t: string; line: number }[] = [];
    while (i < tokens.length) {
      const tok = tokens[i++]!;
      if (tok.t === ';') {
        if (words.length)
          out.push({ name: words[0]!.t, args: words.slice(1).map((w) => w.t), file, line: words[0]!.line });
        words = [];
      } else if (tok.t === '{') {
        const head = words[0];
        const inner = block();
        if (head)
          out.push({
            name: head.t,
            args: words.slice(1).map((w) => w.t),
            block: inner,
            file,
            line: head.line,
          });
        words = [];
      } else if (tok.t === '}') {
        return out;
      } else {
        words.push(tok);
      }
    }
    return out;
  };
  return block();
}

/** Reads nginx's configuration from its main file, following `include` (globs too). */
export async function readNginxConfig(
  file: string,
  probe: Pick<HostProbe, 'readText' | 'list' | 'isFile'>,
): Promise<NginxConfig | undefined> {
  const conf: NginxConfig = { file, files: [], servers: [], upstreams: {} };
  const prefix = dirname(file);
  const load = async (path: string, depth: number): Promise<Directive[]> => {
    const text = await probe.readText(path);
    if (text === undefined || depth > 8) return [];
    conf.files.push(path);
    return expand(parseNginx(text, path), depth);
  };
  const expand = async (ds: Directive[], depth: number): Promise<Directive[]> => {
    const out: Directive[] = [];
    for (const d of ds) {
      if (d.name === 'include' && d.args[0]) {
        const pattern = isAbsolute(d.args[0]) ? d.args[0] : join(prefix, d.args[0]);
        for (const f of await expandGlob(pattern, probe)) out.push(...(await load(f, depth + 1)));
      } else if (d.block) {
        out.push({ ...d, block: await expand(d.block, depth) });
      } else {
        out.push(d);
      }
    }
    return out;
  };
  if ((await probe.readText(file)) === undefined) return undefined;
  const top = await load(file, 0);
  const walk = (ds: Directive[]) => {
    for (const d of ds) {
      if (d.name === 'server' && d.block) {
        const server: NginxServer = { file: d.file, line: d.line, listen: [], locations: [] };
        for (const s of d.block) {
          if (s.name === 'listen' && s.args[0]) server.listen.push(s.args[0]);
          if (s.name === 'location' && s.block) {
            const path = s.args[s.args.length - 1] ?? '';
            const pp = s.block.find((x) => x.name === 'proxy_pass');
            server.locations.push({
              path,
              file: s.file,
              line: s.line,
              ...(pp?.args[0] ? { proxyPass: pp.args[0] } : {}),
            });
          }
        }
        conf.servers.push(server);
      } else if (d.name === 'upstream' && d.block && d.args[0]) {
        conf.upstreams[d.args[0]] = d.block
          .filter((s) => s.name === 'server' && s.args[0])
          .map((s) => s.args[0]!);
      } else if (d.block) {
        walk(d.block);
      }
    }
  };
  walk(top);
  return conf;
}

/**
 * Where a proxy_pass goes: a unix socket path or a host:port, through a named upstream when
 * it names one (its first server).
 */
export function proxyTarget(
  proxyPass: string,
  upstreams: Record<string, string[]>,
): { socket?: string; host?: string; port?: number } {
  const unix = /^https?:\/\/unix:([^:]+):?/.exec(proxyPass);
  if (unix) return { socket: unix[1]! };
  const m = /^https?:\/\/([^/:]+)(?::(\d+))?/.exec(proxyPass);
  if (!m) return {};
  const up = upstreams[m[1]!]?.[0];
  if (up) {
    if (up.startsWith('unix:')) return { socket: up.slice(5) };
    const [h, p] = up.split(':');
    return { host: h!, ...(p ? { port: Number(p) } : {}) };
  }
  return { host: m[1]!, port: m[2] ? Number(m[2]) : proxyPass.startsWith('https') ? 443 : 80 };
}

/** `listen` → host and port (`127.0.0.1:8080`, `8080`, `[::]:80`, `unix:` is skipped). */
export function listenAddress(listen: string): { host: string; port: number } | undefined {
  if (listen.startsWith('unix:')) return undefined;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (m) return { host: m[1] ?? m[2]!, port: Number(m[3]) };
  if (/^\d+$/.test(listen)) return { host: '0.0.0.0', port: Number(listen) };
  return undefined;
}
