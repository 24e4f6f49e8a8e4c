import { describe, expect, it } from 'vitest';
import { parseInventoryList, selectHosts } from '../../src/fleet/inventory.js';
import { budgetExceeded, parseSerial, planWaves, serialSize } from '../../src/fleet/waves.js';
import { listedInventory } from '../helpers/fleet-fake.js';

const inv = parseInventoryList(
  'inv.yaml',
  listedInventory({
    P4: ['x1', 'x2'],
    P0: ['a1'],
    P1: ['b1', 'b2', 'b3'],
    P2: ['c1', 'c2'],
    P3: ['d1'],
    ungrouped: ['u1'],
  }),
);

describe('inventory', () => {
  it('reads ansible-inventory --list, child groups included', () => {
    const nested = parseInventoryList('i', {
      _meta: { hostvars: { h1: { gnr_migrate_workspace: '/w1' }, h2: { gnr_migrate_workspace: '/w2' } } },
      all: { children: ['web'] },
      web: { children: ['eu'], hosts: ['h1'] },
      eu: { hosts: ['h2'] },
    });
    expect(nested.groups.get('web')).toEqual(['h1', 'h2']);
    expect(nested.hosts.find((h) => h.name === 'h2')?.groups.sort()).toEqual(['eu', 'web']);
  });

  it('names the hosts without a workspace', () => {
    expect(() =>
      parseInventoryList('inv.ini', {
        _meta: { hostvars: { h1: {}, h2: { gnr_migrate_workspace: '/w' } } },
        all: {},
      }),
    ).toThrow(/inv.ini: host h1 has no gnr_migrate_workspace/);
  });

  it('selects with Ansible patterns: groups, globs, exclusion, intersection', () => {
    expect(selectHosts(inv, 'P2:P3')).toEqual(['c1', 'c2', 'd1']);
    expect(selectHosts(inv, 'b*')).toEqual(['b1', 'b2', 'b3']);
    expect(selectHosts(inv, 'all:!P4:!ungrouped')).toEqual(['a1', 'b1', 'b2', 'b3', 'c1', 'c2', 'd1']);
    expect(selectHosts(inv, 'P1:&b2')).toEqual(['b2']);
    expect(() => selectHosts(inv, 'P9', '--hosts')).toThrow(/--hosts "P9": no such group or host/);
  });
});

describe('waves', () => {
  it("sizes batches like Ansible's serial (pct_to_int, the last size repeats)", () => {
    expect(parseSerial('1,25%,100%')).toEqual([1, '25%', '100%']);
    expect(serialSize('25%', 10)).toBe(2);
    expect(serialSize('1%', 10)).toBe(1);
    const layout = planWaves(inv, { serial: parseSerial('1,25%') });
    expect(layout.waves.map((w) => w.hosts.length)).toEqual([1, 2, 2, 2, 2, 1]);
    expect(() => parseSerial('1,0,x')).toThrow(/"0" is not a number of hosts/);
  });

  it('puts the priority groups first, P0 … P4, then the rest', () => {
    const layout = planWaves(inv, { serial: [1, '100%'] });
    expect(layout.waves[0]?.hosts).toEqual(['a1']);
    expect(layout.waves[1]?.hosts).toEqual(['b1', 'b2', 'b3', 'c1', 'c2', 'd1', 'x1', 'x2', 'u1']);
    expect(layout.source).toBe('--waves');
  });

  it("takes the plan's waves: groups, sizes, a wave named after a group, the rest; budgets per wave", () => {
    const layout = planWaves(inv, {
      fleet: {
        max_fail_percentage: 5,
        waves: [
          { name: 'pilot', hosts: 'P0', max_fail_percentage: 0 },
          { name: 'P1' },
          { name: 'majority', hosts: ['P2', 'P3'], max_fail_percentage: 20 },
          { name: 'two', size: 2 },
        ],
      },
    });
    expect(layout.waves.map((w) => [w.name, w.hosts, w.maxFailPercentage])).toEqual([
      ['pilot', ['a1'], 0],
      ['P1', ['b1', 'b2', 'b3'], 5],
      ['majority', ['c1', 'c2', 'd1'], 20],
      ['two', ['x1', 'x2'], 5],
    ]);
    expect(layout.outside).toEqual(['u1']);
    expect(
      planWaves(inv, { fleet: { waves: [{ name: 'w', hosts: 'P0' }] }, maxFailPercentage: 50 }).waves[0]
        ?.maxFailPercentage,
    ).toBe(50);
  });

  it("applies Ansible's max_fail_percentage rule: strictly more than N %", () => {
    expect(budgetExceeded(1, 4, 25)).toBe(false);
    expect(budgetExceeded(2, 4, 25)).toBe(true);
    expect(budgetExceeded(1, 2, 0)).toBe(true);
    expect(budgetExceeded(0, 2, 0)).toBe(false);
  });
});
