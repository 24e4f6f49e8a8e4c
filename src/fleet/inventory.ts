import { InputError } from '../core/errors.js';

/**
 * The fleet as Ansible sees it. The inventory is the operator's own (INI, YAML, group_vars,
 * host_vars, plugins, vault): rather than parse any of that ourselves, the controller asks
 * `ansible-inventory --list` and reads its JSON, so both always agree on who is in the fleet.
 */

export interface InventoryHost {
  name: string;
  /** The host's workspace on that host (`gnr_migrate_workspace`). */
  workspace: string;
  /** Every group it belongs to, directly or through a child group (not `all`). */
  groups: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  file: string;
  /** In inventory order: the order Ansible would take them in. */
  hosts: InventoryHost[];
  /** Group → its hosts (through child groups too), in inventory order. */
  groups: Map<string, string[]>;
}

export const workspaceVar = 'gnr_migrate_workspace';

interface ListedGroup {
  hosts?: string[];
  children?: string[];
}

/** Reads `ansible-inventory --list` output. A host without a workspace is bad input, named. */
export function parseInventoryList(file: string, listed: unknown): Inventory {
  if (!listed || typeof listed !== 'object')
    throw new InputError(`${file}: ansible-inventory gave no inventory`);
  const doc = listed as Record<string, unknown> & {
    _meta?: { hostvars?: Record<string, Record<string, unknown>> };
  };
  const hostvars = doc._meta?.hostvars ?? {};
  const groupsRaw = new Map<string, ListedGroup>();
  for (const [name, value] of Object.entries(doc)) {
    if (name === '_meta' || !value || typeof value !== 'object') continue;
    groupsRaw.set(name, value as ListedGroup);
  }

  const order: string[] = [...Object.keys(hostvars)];
  const seen = new Set(order);
  // Hosts with no vars at all may be missing from hostvars: take them from the groups.
  for (const g of groupsRaw.values())
    for (const h of g.hosts ?? [])
      if (!seen.has(h)) {
        seen.add(h);
        order.push(h);
      }
  const position = new Map(order.map((h, i) => [h, i]));

  const members = new Map<string, Set<string>>();
  const collect = (group: string, trail: Set<string>): Set<string> => {
    const known = members.get(group);
    if (known) return known;
    const out = new Set<string>(groupsRaw.get(group)?.hosts ?? []);
    if (trail.has(group)) return out; // a cycle Ansible would have refused; do not loop
    trail.add(group);
    for (const child of groupsRaw.get(group)?.children ?? [])
      for (const h of collect(child, trail)) out.add(h);
    trail.delete(group);
    members.set(group, out);
    return out;
  };
  const groups = new Map<string, string[]>();
  for (const name of groupsRaw.keys()) {
    if (name === 'all') continue;
    const hosts = [...collect(name, new Set())].sort(
      (a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0),
    );
    groups.set(name, hosts);
  }

  const missing: string[] = [];
  const hosts: InventoryHost[] = order.map((name) => {
    const vars = hostvars[name] ?? {};
    const ws = vars[workspaceVar];
    if (typeof ws !== 'string' || ws === '') missing.push(name);
    return {
      name,
      workspace: typeof ws === 'string' ? ws : '',
      groups: [...groups.entries()].filter(([, hs]) => hs.includes(name)).map(([g]) => g),
      vars,
    };
  });
  if (hosts.length === 0) throw new InputError(`${file}: the inventory has no hosts`);
  if (missing.length > 0) {
    throw new InputError(
      `${file}: ${missing.length === 1 ? 'host' : 'hosts'} ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no ${workspaceVar}: set it to the folder holding migration/ on that host (a host var, or a group var for many)`,
    );
  }
  return { file, hosts, groups };
}

/**
 * The hosts an Ansible-style pattern selects, in inventory order: items separated by `:` or
 * `,`, each a group, a host or a glob (`web*`); `!item` removes, `&item` keeps only the
 * intersection. An item that matches nothing is bad input: a typo must not shrink a wave.
 */
export function selectHosts(inv: Inventory, pattern: string | string[], what = 'pattern'): string[] {
  const items = (Array.isArray(pattern) ? pattern : [pattern])
    .flatMap((p) => p.split(/[:,]/))
    .map((s) => s.trim())
    .filter(Boolean);
  let chosen = new Set<string>();
  const positive = items.filter((i) => !i.startsWith('!') && !i.startsWith('&'));
  for (const item of positive) for (const h of matchItem(inv, item, what)) chosen.add(h);
  for (const item of items.filter((i) => i.startsWith('&'))) {
    const keep = new Set(matchItem(inv, item.slice(1), what));
    chosen = new Set([...chosen].filter((h) => keep.has(h)));
  }
  for (const item of items.filter((i) => i.startsWith('!'))) {
    for (const h of matchItem(inv, item.slice(1), what)) chosen.delete(h);
  }
  return inv.hosts.map((h) => h.name).filter((h) => chosen.has(h));
}

function matchItem(inv: Inventory, item: string, what: string): string[] {
  if (item === 'all' || item === '*') return inv.hosts.map((h) => h.name);
  const group = inv.groups.get(item);
  if (group) return group;
  if (inv.hosts.some((h) => h.name === item)) return [item];
  if (/[*?[]/.test(item)) {
    const re = globToRegExp(item);
    const out = new Set(inv.hosts.filter((h) => re.test(h.name)).map((h) => h.name));
    for (const [g, hs] of inv.groups) if (re.test(g)) for (const h of hs) out.add(h);
    if (out.size > 0) return [...out];
  }
  throw new InputError(
    `${what} "${item}": no such group or host in ${inv.file} (groups: ${[...inv.groups.keys()].filter((g) => g !== 'ungrouped').join(', ') || 'none'})`,
  );
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
