import type { HostProbe, ProcInfo } from './probe.js';
import type { GenropyProcess } from './proc.js';
import type { Evidence } from './report.js';

/** What the detection stages share: the probe, the evidence so far, the process table. */
export interface Scan {
  probe: HostProbe;
  ev: Evidence;
  procs: ProcInfo[];
  byPid: Map<number, ProcInfo>;
  /** Every Genropy process on the host, without the children of one of the same role. */
  leaders: GenropyProcess[];
  /** The leaders of the deployment being detected (its $GNRCFG). */
  selected: GenropyProcess[];
  gnrcfg?: string;
}

export const pids = (ps: { proc: ProcInfo }[]) => ps.map((p) => p.proc.pid).join(', ');
