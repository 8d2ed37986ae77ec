/**
 * Binds a listener (DICOM, MLLP, HTTP; plain or TLS) and resolves with the bound port (useful with port 0). A bind
 * failure (port in use, no permission) rejects. An error after that — e.g. EMFILE when accepting a connection — is
 * logged and the listener keeps serving: without a handler Node would end the daemon on it.
 */
import type { Server } from 'node:net';
import type { Logger } from './log.js';

export function listenOn(server: Server, address: { host: string; port: number }, log: Logger, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error(`${name} listener error`, { err: err.message }));
      const bound = server.address();
      resolve(typeof bound === 'object' && bound !== null ? bound.port : address.port);
    });
  });
}
