/**
 * What `init --detect` reads of the host it runs on, as one interface: files, the process
 * table and a few read-only commands. The real one (probe-linux.ts) reads /proc and runs
 * programs; tests pass a fake built from fixture files, so every rule of detection is tested
 * without a Genropy host.
 */

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** /proc/<pid>/cmdline split on NUL (a program that rewrote its title has one element). */
  argv: string[];
  /** /proc/<pid>/environ; empty when not readable. */
  env: Record<string, string>;
  /** /proc/<pid>/exe, resolved; undefined when not readable. */
  exe?: string;
  /** /proc/<pid>/cwd, resolved. */
  cwd?: string;
}

export interface ProbeRun {
  exit: number | null;
  stdout: string;
  stderr: string;
  /** The program could not be started. */
  error?: string;
}

export interface HostProbe {
  /** The environment gnr-migrate runs with. */
  env: Record<string, string | undefined>;
  home: string;
  /**
   * Prefix of the host's well-known paths (/etc/gnr, /etc/nginx, /etc/supervisor,
   * /etc/systemd/system): `/` on a host, the root folder of a host image or of the sandbox.
   */
  root: string;
  readText(path: string): Promise<string | undefined>;
  isDir(path: string): Promise<boolean>;
  isFile(path: string): Promise<boolean>;
  /** The path with symlinks resolved (the path itself when it cannot be resolved). */
  realPath(path: string): Promise<string>;
  /** Entry names of a folder; [] when it is absent. */
  list(path: string): Promise<string[]>;
  processes(): Promise<ProcInfo[]>;
  /** Something accepts connections on host:port. */
  portInUse(host: string, port: number): Promise<boolean>;
  /** A port nothing listens on now (the kernel's pick for port 0). */
  freePort(host: string): Promise<number>;
  /** A read-only command (supervisorctl status, systemctl list-units), never through a shell. */
  run(argv: string[]): Promise<ProbeRun>;
}
