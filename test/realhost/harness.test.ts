import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { get, gnrWebEntryPoints, host, onHost } from './host.js';

// The harness itself (examples/realhost): a real Genropy host in the deploy builder's layout.
describe.skipIf(!host)('the real host built by examples/realhost', () => {
  const h = host!;

  it('serves / with 200 through nginx, with the site cookie', async () => {
    const res = await get(h.url);
    expect(res.status).toBe(200);
    expect(res.cookie).toMatch(new RegExp(`^${h.site}=`));
  });

  it('runs gnrdaemon: `gnr web daemon -C ping` prints ping', () => {
    const r = onHost(h, ['gnr', 'web', 'daemon', '-C', 'ping']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('ping');
  });

  it("has the deploy builder's layout: one supervisord file, <site>_gunicorn/<site>_gnrasync, nginx to unix sockets", () => {
    const r = onHost(h, ['supervisorctl', '-c', h.paths.supervisorConf!, 'status']);
    for (const prog of ['gnrdaemon', `${h.site}_gunicorn`, `${h.site}_gnrasync`, 'nginx']) {
      expect(r.stdout).toMatch(new RegExp(`^${prog}\\s+RUNNING`, 'm'));
    }
    const site = readFileSync(h.paths.nginxSite!, 'utf8');
    expect(site).toContain(`proxy_pass http://unix:${h.paths.gunicornSocket};`);
    expect(site).toContain(`proxy_pass http://unix:${h.paths.asyncSocket};`);
    expect(existsSync(h.paths.gunicornSocket!)).toBe(true);
    expect(existsSync(h.paths.asyncSocket!)).toBe(true);
  });

  it('offers genropy-asgi offline (wheelhouse) and has no gnr.web entry point installed yet', () => {
    expect(readdirSync(h.paths.wheelhouse!).some((f) => /^genropy_asgi-.*\.whl$/.test(f))).toBe(true);
    expect(h.env.PIP_FIND_LINKS).toBe(h.paths.wheelhouse);
    expect(gnrWebEntryPoints(h)).toEqual([]);
    expect(existsSync(join(h.paths.siteDir!, 'siteregister_data.pik'))).toBe(false);
  });
});
