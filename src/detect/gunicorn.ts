/**
 * gunicorn's `bind` from its Python settings file (gnrdeploy.py writes
 * `bind = 'unix:<site>/sockets/gunicorn.sock'`; a list is allowed): the unix sockets and
 * host:port pairs it listens on. Only literal strings are read; anything computed is ignored.
 */
export function gunicornBinds(text: string): { sockets: string[]; tcp: { host: string; port: number }[] } {
  const out = { sockets: [] as string[], tcp: [] as { host: string; port: number }[] };
  const m = /^bind\s*=\s*(\[[^\]]*\]|'[^']*'|"[^"]*")/m.exec(text);
  if (!m) return out;
  for (const s of m[1]!.matchAll(/'([^']*)'|"([^"]*)"/g)) {
    const b = (s[1] ?? s[2])!;
    if (b.startsWith('unix:')) out.sockets.push(b.slice(5));
    else {
      const hp = /^(.*):(\d+)$/.exec(b);
      if (hp) out.tcp.push({ host: hp[1] || '0.0.0.0', port: Number(hp[2]) });
    }
  }
  return out;
}
