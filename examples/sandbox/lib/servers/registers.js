// @ts-check
// The register state (what gnrdaemon holds, and genropy-asgi in process) and the .pik file.

import { readFileSync, writeFileSync } from 'node:fs';

// ── the register state (what gnrdaemon holds, and genropy-asgi in process) ────────────────

export const emptyState = (site) => ({ site, users: {}, connections: {}, pages: {} });

/** `siteregister_data.pik`: a pickle header, the state as JSON, the STOP opcode. */
export function writePik(file, state) {
  writeFileSync(
    file,
    Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.from(JSON.stringify(state)), Buffer.from('.')]),
  );
}

export function readPik(file) {
  const buf = readFileSync(file);
  if (buf[0] !== 0x80 || buf[buf.length - 1] !== 0x2e)
    throw new Error('_pickle.UnpicklingError: invalid load key');
  try {
    return JSON.parse(buf.subarray(3, buf.length - 1).toString('utf8'));
  } catch {
    throw new Error('_pickle.UnpicklingError: pickle data was truncated');
  }
}

export function registerPage(state, { pageId, user, connection }) {
  state.users[user] ??= { user, connections: [] };
  if (!state.connections[connection]) {
    state.connections[connection] = { connection_id: connection, user, start_ts: Date.now() };
    state.users[user].connections.push(connection);
  }
  state.pages[pageId] = { page_id: pageId, connection_id: connection, user, start_ts: Date.now() };
}
