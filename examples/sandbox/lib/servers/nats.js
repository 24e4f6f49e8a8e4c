// @ts-check
// nats-server: INFO greeting, PING/PONG.

import { createServer as createNetServer } from 'node:net';
import { lifecycle, listen, log } from './base.js';

// ── nats-server ───────────────────────────────────────────────────────────────────────────

export async function runNats({ host, port }) {
  const life = lifecycle();
  const server = createNetServer((socket) => {
    life.track(socket);
    socket.write(
      `INFO ${JSON.stringify({ server_id: `NSANDBOX${process.pid}`, server_name: 'sandbox', version: '2.10.22', proto: 1, host, port, headers: true, max_payload: 1048576 })}\r\n`,
    );
    let buf = '';
    socket.on('data', (c) => {
      buf += c.toString();
      let nl = buf.indexOf('\r\n');
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (line === 'PING') socket.write('PONG\r\n');
        nl = buf.indexOf('\r\n');
      }
    });
  });
  life.servers.add(server);
  await listen(server, { host, port });
  log(`nats-server listening for client connections on ${host}:${port}`);
}
