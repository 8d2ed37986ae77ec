/**
 * A TLS listener that screens connections by address before spending a handshake on them, shared by the DICOM and
 * MLLP listeners. Node reports a connection the screen destroyed as a failed handshake too; those are not
 * reported a second time.
 */
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket, type TlsOptions } from 'node:tls';
import { describeHandshakeFailure, tcpSocketOf } from './peer-identity.js';

export interface ScreenedTlsHooks {
  /** Before the handshake: false refuses the connection (the hook logs it and destroys the socket). */
  admit(raw: Socket): boolean;
  /** A handshake failed on an admitted connection (a plain client, a missing or untrusted certificate). */
  handshakeFailed(failure: { peerAddress: string; reason: string }): void;
}

export function createScreenedTlsServer(options: TlsOptions, onSecureConnection: (socket: TLSSocket) => void, hooks: ScreenedTlsHooks): Server {
  const server = createServer(options, onSecureConnection);
  const refused = new WeakSet<Socket>();
  server.on('connection', (raw: Socket) => {
    if (!hooks.admit(raw)) refused.add(raw);
  });
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    const raw = tcpSocketOf(socket);
    if (raw !== undefined && refused.has(raw)) return;
    hooks.handshakeFailed(describeHandshakeFailure(err, socket));
  });
  return server;
}
