import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HostProbe, ProbeRun, ProcInfo } from '../../src/detect/probe.js';

const fixtures = new URL('../fixtures/detect/', import.meta.url).pathname;

/**
 * A host read from a fixture folder: `fs/` mirrors the host's files (absolute paths under it),
 * `procs.json` is its process table, `run.json` the output of each command (argv joined by
 * spaces; a command not listed is "not found"), `probe.json` gnr-migrate's own environment,
 * home and symlinks. Recorded from real hosts (realhost/) or written after gnrdeploy.py (deploy/).
 */
export function fixtureProbe(
  name: string,
  patch: {
    env?: Record<string, string>;
    procs?: (p: ProcInfo[]) => ProcInfo[];
    root?: string;
    /** host:port pairs that accept connections. */
    listening?: string[];
  } = {},
): HostProbe & { ran: string[][] } {
  const dir = join(fixtures, name);
  const fs = (p: string) => join(dir, 'fs', p);
  const read = <T>(f: string, d: T): T =>
    existsSync(join(dir, f)) ? JSON.parse(readFileSync(join(dir, f), 'utf8')) : d;
  const conf = read<{ env: Record<string, string>; home: string; links: Record<string, string> }>(
    'probe.json',
    {
      env: {},
      home: '/root',
      links: {},
    },
  );
  const procs = read<ProcInfo[]>('procs.json', []);
  const runs = read<Record<string, ProbeRun>>('run.json', {});
  const ran: string[][] = [];
  return {
    ran,
    env: { ...conf.env, ...patch.env },
    home: conf.home,
    root: patch.root ?? '/',
    async readText(p) {
      try {
        return readFileSync(fs(p), 'utf8');
      } catch {
        return undefined;
      }
    },
    async isDir(p) {
      return statSync(fs(p), { throwIfNoEntry: false })?.isDirectory() ?? false;
    },
    async isFile(p) {
      return statSync(fs(p), { throwIfNoEntry: false })?.isFile() ?? false;
    },
    async realPath(p) {
      return conf.links[p] ?? p;
    },
    async list(p) {
      try {
        return readdirSync(fs(p));
      } catch {
        return [];
      }
    },
    async processes() {
      return patch.procs ? patch.procs(structuredClone(procs)) : structuredClone(procs);
    },
    async portInUse(host, port) {
      return (patch.listening ?? []).includes(`${host}:${port}`);
    },
    async freePort() {
      return 45678;
    },
    async run(argv) {
      ran.push(argv);
      return runs[argv.join(' ')] ?? { exit: null, stdout: '', stderr: '', error: `${argv[0]}: not found` };
    },
  };
}
