import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { planFromText } from '../helpers/plan.js';

// The default plan against what the real software does (issue 11; DESIGN §3). These are the
// rules an edit of migration/plan.yaml must not break; the real-host run proves them end to end.
const text = readFileSync(join(repoRoot, 'migration/plan.yaml'), 'utf8');
const plan = planFromText(text, { processEnv: { GENRO_GNRFOLDER: '/etc/gnr', VIRTUAL_ENV: '/venv' } });
const phase = (id: number) => plan.phases.find((p) => p.id === id)!;
const ids = (list: { id: string }[]) => list.map((x) => x.id);

/** Every text file under a folder. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = join(dir, f);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

describe('the default plan, as the real Genropy software requires', () => {
  it('names no setting or field that exists nowhere upstream (plan and sandbox)', () => {
    const invented =
      /GNR_ASGI_PAGES|GNR_ASGI_PAGE_TTL|GNR_ASGI_MAX_PAGES|GNR_ASGI_NATS_URL|GNR_ASGI_STICKY_COOKIE|process_resident_memory_bytes|nats.connected/;
    for (const f of [...files(join(repoRoot, 'migration')), ...files(join(repoRoot, 'examples/sandbox'))])
      expect(readFileSync(f, 'utf8'), f).not.toMatch(invented);
  });

  it('phase 4 saves and stops gnrdaemon BEFORE installing genropy-asgi (its entry point ends every gnr web daemon command)', () => {
    const steps = ids(phase(4).steps);
    const at = (id: string) => {
      expect(steps).toContain(id);
      return steps.indexOf(id);
    };
    expect(at('save_registers')).toBeLessThan(at('pik_aside'));
    expect(at('pik_aside')).toBeLessThan(at('disable_daemon'));
    expect(at('disable_daemon')).toBeLessThan(at('install_genropy_asgi'));
    expect(at('stop_site_programs')).toBeLessThan(at('install_genropy_asgi'));
  });

  it('phase 4 announces the forced re-login and never puts the .pik back next to a starting gnrdaemon', () => {
    const acks = phase(4).checks.filter((c) => c.kind === 'ack');
    expect(ids(acks)).toContain('relogin_announced');
    expect(phase(4).backup).toContain('site_files');
    expect(phase(4).rollback.restore).not.toContain('site_files');
    const back = ids(phase(4).rollback.steps);
    expect(back.indexOf('pik_aside')).toBeLessThan(back.indexOf('enable_daemon'));
    expect(back.indexOf('uninstall_genropy_asgi')).toBeLessThan(back.indexOf('enable_daemon'));
    expect(back.indexOf('enable_daemon')).toBeLessThan(back.indexOf('start_site_programs'));
  });

  it('checks what else gnrdaemon does: scheduler, service daemons, SSH tunnels, other sites of the venv', () => {
    expect(ids(phase(4).checks)).toEqual(
      expect.arrayContaining([
        'scheduler_not_in_daemon',
        'no_service_daemons',
        'no_ssh_tunnels',
        'no_other_site_in_venv',
        'single_site_register',
      ]),
    );
  });

  it('probes for what upstream has not released and blocks on it', () => {
    const probe = (id: number, cap: string) =>
      phase(id).checks.find(
        (c) => c.kind === 'run' && c.argv.includes(cap) && (c.severity ?? 'block') === 'block',
      );
    expect(probe(0, 'wsgi_bridge')).toBeTruthy();
    expect(probe(3, 'wsgi_bridge')).toBeTruthy();
    expect(probe(5, 'resident_pages')).toBeTruthy();
    expect(probe(7, 'nats')).toBeTruthy();
  });

  it('never uses /sys/heartbeat (the scheduler trigger, a 500) as a health probe', () => {
    for (const p of plan.phases)
      for (const c of [...p.checks, ...p.verify])
        if (c.kind === 'http') expect(c.url, `${p.id}/${c.id}`).not.toMatch(/\/sys\/heartbeat/);
    for (const p of plan.phases)
      for (const s of [...p.steps, ...p.rollback.steps])
        expect(JSON.stringify(s), `${p.id}/${s.id}`).not.toMatch(/\/sys\/heartbeat/);
  });

  it('cites its sources in comments', () => {
    for (const source of [
      'gnrpy/gnr/web/daemon/siteregister.py',
      'gnrpy/gnr/app/gnrdeploy.py',
      'gnrpy/gnr/web/gnrtask.py',
      'gnrpy/gnr/web/daemon/handler.py',
      'gnrpy/gnr/web/gnrasync.py',
      'gnrpy/gnr/web/gnrwebpage.py',
      'genropy-asgi pyproject.toml',
      'src/genropy_asgi/spa/cli.py',
    ])
      expect(text).toContain(source);
  });
});
