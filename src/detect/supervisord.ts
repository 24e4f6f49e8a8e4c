import { dirname, isAbsolute, join } from 'node:path';
import type { HostProbe } from './probe.js';
import type { GenropyRole } from './proc.js';

export interface SupervisorProgram {
  /** The name supervisorctl uses: `program`, or `group:program` inside a [group:…]. */
  name: string;
  command: string;
  /** The file that defines it. */
  file: string;
  role?: GenropyRole | 'nginx';
}

export interface SupervisorConfig {
  file: string;
  /** Files read through [include] files=…, in order. */
  includes: string[];
  /** The folders the [include] globs point into. */
  includeDirs: string[];
  programs: SupervisorProgram[];
  /** [supervisorctl] serverurl, for notes. */
  serverUrl?: string;
}

type Ini = { section: string; values: Record<string, string> }[];

/** supervisord's ini dialect: [section], key=value, `;`/`#` comments, indented continuations. */
export function parseIni(text: string): Ini {
  const out: Ini = [];
  let cur: Ini[number] | undefined;
  let lastKey: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+[;#].*$/, '').replace(/^\s*[;#].*$/, '');
    if (!line.trim()) continue;
    const sec = /^\[([^\]]+)\]\s*$/.exec(line.trim());
    if (sec && !/^\s/.test(line)) {
      cur = { section: sec[1]!.trim(), values: {} };
      out.push(cur);
      lastKey = undefined;
      continue;
    }
    if (!cur) continue;
    if (/^\s/.test(line) && lastKey) {
      cur.values[lastKey] += `\n${line.trim()}`;
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq <= 0) continue;
    lastKey = line.slice(0, eq).trim();
    cur.values[lastKey] = line.slice(eq + 1).trim();
  }
  return out;
}

/**
 * What a program runs, by its command: the part after a wrapper's last `exec ` counts (the
 * realhost waits for gnrdaemon with `bash -c '… gnr web daemon -C ping …; exec gnr web
 * serveprod …'`).
 */
export function programRole(command: string): SupervisorProgram['role'] {
  const cmd = command.includes('exec ') ? command.slice(command.lastIndexOf('exec ') + 5) : command;
  if (/\bgnrasgiserve\b/.test(cmd)) return 'asgi';
  if (/\bweb\s+serveprod\b|\bgnrwsgiserve\b|\bgunicorn3?\b/.test(cmd)) return 'wsgi';
  if (/\bweb\s+async\b|\bgnrasync\b/.test(cmd)) return 'async';
  if (/\bweb\s+taskscheduler\b|\bgnrtaskscheduler\b/.test(cmd)) return 'taskscheduler';
  if (/\bweb\s+taskworker\b|\bgnrtaskworker\b/.test(cmd)) return 'taskworker';
  if (/\bweb\s+daemon\b(?!.*\s-C\b)|\bgnrdaemon\b/.test(cmd)) return 'daemon';
  if (/(^|\/)nginx(\s|$)/.test(cmd)) return 'nginx';
  return undefined;
}

/** Glob of one path segment (`*`, `?`, `[…]`), as supervisord's [include] files= allows. */
function segmentMatcher(glob: string): RegExp {
  const re = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

/** Expands a path whose last segment may be a glob (what supervisord and nginx configs use). */
export async function expandGlob(
  pattern: string,
  probe: Pick<HostProbe, 'list' | 'isFile'>,
): Promise<string[]> {
  const dir = dirname(pattern);
  const leaf = pattern.slice(dir.length + 1);
  if (!/[*?[]/.test(leaf)) return (await probe.isFile(pattern)) ? [pattern] : [];
  const re = segmentMatcher(leaf);
  const names = (await probe.list(dir)).filter((n) => re.test(n)).sort();
  const files: string[] = [];
  for (const n of names) if (await probe.isFile(join(dir, n))) files.push(join(dir, n));
  return files;
}

/** Reads a supervisord configuration and its [include] files; undefined when unreadable. */
export async function readSupervisorConfig(
  file: string,
  probe: Pick<HostProbe, 'readText' | 'list' | 'isFile'>,
): Promise<SupervisorConfig | undefined> {
  const text = await probe.readText(file);
  if (text === undefined) return undefined;
  const conf: SupervisorConfig = { file, includes: [], includeDirs: [], programs: [] };
  const sections: { ini: Ini; file: string }[] = [{ ini: parseIni(text), file }];
  const main = sections[0]!.ini;
  for (const s of main) {
    if (s.section === 'include' && s.values.files) {
      for (const pattern of s.values.files.split(/\s+/).filter(Boolean)) {
        const abs = isAbsolute(pattern) ? pattern : join(dirname(file), pattern);
        if (!conf.includeDirs.includes(dirname(abs))) conf.includeDirs.push(dirname(abs));
        for (const inc of await expandGlob(abs, probe)) {
          const t = await probe.readText(inc);
          if (t === undefined) continue;
          conf.includes.push(inc);
          sections.push({ ini: parseIni(t), file: inc });
        }
      }
    }
    if (s.section === 'supervisorctl' && s.values.serverurl) conf.serverUrl = s.values.serverurl;
  }
  const groupOf = new Map<string, string>();
  for (const { ini } of sections) {
    for (const s of ini) {
      const g = /^group:(.+)$/.exec(s.section);
      if (g && s.values.programs) {
        for (const p of s.values.programs.split(',')) groupOf.set(p.trim(), g[1]!.trim());
      }
    }
  }
  for (const { ini, file: from } of sections) {
    for (const s of ini) {
      const p = /^program:(.+)$/.exec(s.section);
      if (!p) continue;
      const prog = p[1]!.trim();
      const group = groupOf.get(prog);
      const command = s.values.command ?? '';
      const role = programRole(command);
      conf.programs.push({
        name: group ? `${group}:${prog}` : prog,
        command,
        file: from,
        ...(role ? { role } : {}),
      });
    }
  }
  return conf;
}

/** `supervisorctl status` lines: name, state. */
export function parseSupervisorStatus(stdout: string): { name: string; state: string }[] {
  const rows: { name: string; state: string }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(RUNNING|STOPPED|STARTING|BACKOFF|STOPPING|EXITED|FATAL|UNKNOWN)\b/.exec(line.trim());
    if (m) rows.push({ name: m[1]!, state: m[2]! });
  }
  return rows;
}
