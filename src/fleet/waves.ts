import { InputError } from '../core/errors.js';
import type { FleetInput } from '../plan/schema.js';
import { type Inventory, selectHosts } from './inventory.js';

/**
 * Which hosts go in which wave — a pure function of the inventory and the plan's `fleet:`
 * section (or `--waves`), so the dry-run shows exactly what the run will do.
 */

export interface Wave {
  name: string;
  hosts: string[];
  /** Ansible's max_fail_percentage: the wave stops when more than this share of it fails. */
  maxFailPercentage: number;
}

export interface WaveLayout {
  waves: Wave[];
  /** Hosts of the inventory that no wave takes: this run leaves them alone. */
  outside: string[];
  /** Where the waves came from, for the report. */
  source: 'plan' | '--waves' | 'default';
}

/** The seed's priorities: P0 first (most used, simplest) … P4 last (can afford failures). */
export const defaultOrder = ['P0', 'P1', 'P2', 'P3', 'P4'];
/** Without a plan or `--waves`: a pilot host, then a quarter of the fleet, then the rest. */
export const defaultSerial: SerialItem[] = [1, '25%', '100%'];
export const defaultMaxFailPercentage = 0;

export type SerialItem = number | `${number}%`;

/** `--waves 1,25%,100%`: Ansible's `serial` list. */
export function parseSerial(text: string): SerialItem[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InputError(`--waves "${text}": expected sizes such as 1,25%,100%`);
  return items.map((item) => {
    if (/^\d+%$/.test(item) && Number(item.slice(0, -1)) > 0) return item as `${number}%`;
    if (/^\d+$/.test(item) && Number(item) > 0) return Number(item);
    throw new InputError(`--waves "${text}": "${item}" is not a number of hosts or a percentage such as 25%`);
  });
}

/** Ansible's `pct_to_int`: a percentage of the whole play, rounded down, at least 1. */
export function serialSize(item: SerialItem, total: number): number {
  if (typeof item === 'string') return Math.floor((Number(item.slice(0, -1)) / 100) * total) || 1;
  return item;
}

/** Ansible's rule (strategy/linear.py): more than N % of the batch failed. */
export function budgetExceeded(failed: number, size: number, maxFailPercentage: number): boolean {
  return size > 0 && failed / size > maxFailPercentage / 100;
}

/** Hosts of the priority groups first, in the order given; then the rest in inventory order. */
export function orderHosts(inv: Inventory, order: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const group of order) {
    for (const h of inv.groups.get(group) ?? []) {
      if (!seen.has(h)) {
        seen.add(h);
        out.push(h);
      }
    }
  }
  for (const h of inv.hosts) if (!seen.has(h.name)) out.push(h.name);
  return out;
}

export interface WaveOptions {
  fleet?: FleetInput;
  /** `--waves`: wins over the plan's waves. */
  serial?: SerialItem[];
  /** `--max-fail-percentage`: wins over the plan's budgets. */
  maxFailPercentage?: number;
}

export function planWaves(inv: Inventory, opts: WaveOptions): WaveLayout {
  const fleet = opts.fleet ?? {};
  const ordered = orderHosts(inv, fleet.order ?? defaultOrder);
  const total = ordered.length;
  const budget = (own?: number) =>
    opts.maxFailPercentage ?? own ?? fleet.max_fail_percentage ?? defaultMaxFailPercentage;

  if (opts.serial || !fleet.waves) {
    const serial = opts.serial ?? defaultSerial;
    const waves: Wave[] = [];
    const left = [...ordered];
    for (let i = 0; left.length > 0; i++) {
      const size = serialSize(serial[Math.min(i, serial.length - 1)] as SerialItem, total);
      waves.push({ name: `wave-${i + 1}`, hosts: left.splice(0, size), maxFailPercentage: budget() });
    }
    return { waves, outside: [], source: opts.serial ? '--waves' : 'default' };
  }

  const taken = new Set<string>();
  const waves: Wave[] = fleet.waves.map((w, i) => {
    const where = `fleet.waves[${i}] (${w.name})`;
    let hosts: string[];
    if (w.hosts !== undefined) {
      hosts = selectHosts(inv, w.hosts, `${where}.hosts`);
    } else if (w.size !== undefined) {
      hosts = ordered.filter((h) => !taken.has(h)).slice(0, serialSize(w.size as SerialItem, total));
    } else if (inv.groups.has(w.name)) {
      hosts = inv.groups.get(w.name) ?? [];
    } else {
      // A wave with neither hosts nor size, named after no group: the rest of the fleet.
      hosts = ordered.filter((h) => !taken.has(h));
    }
    // A host runs once, in the first wave that names it; `size` caps what is left.
    const own = hosts.filter((h) => !taken.has(h));
    const capped =
      w.hosts !== undefined && w.size !== undefined
        ? own.slice(0, serialSize(w.size as SerialItem, total))
        : own;
    for (const h of capped) taken.add(h);
    // Keep the priority order inside the wave too.
    const rank = new Map(ordered.map((h, k) => [h, k]));
    capped.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
    return { name: w.name, hosts: capped, maxFailPercentage: budget(w.max_fail_percentage) };
  });
  const names = new Set<string>();
  for (const w of waves) {
    if (names.has(w.name)) throw new InputError(`fleet.waves: the wave name "${w.name}" is used twice`);
    names.add(w.name);
  }
  return {
    waves: waves.filter((w) => w.hosts.length > 0),
    outside: ordered.filter((h) => !taken.has(h)),
    source: 'plan',
  };
}
