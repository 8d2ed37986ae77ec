/** The receiving side of MLLP in tests (a scripted RIS): frames read off a socket, each one's MSH-10 recorded. */
import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import { MllpDecoder } from '../../src/hl7/mllp-framing.js';

export const mllpFrame = (payload: Buffer | string): Buffer => Buffer.concat([Buffer.from([0x0b]), Buffer.from(payload), Buffer.from([0x1c, 0x0d])]);

/** Reads the frames arriving on a socket: records each frame's MSH-10 in `received`, then calls `onFrame`. */
export function readMllpFrames(socket: Socket, received: string[], onFrame: (controlId: string, index: number) => void): void {
  const decoder = new MllpDecoder({ maxMessageBytes: 1 << 20 });
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    for (const e of decoder.push(chunk)) {
      if (e.kind !== 'frame') continue;
      const id = e.payload.toString('utf8').split('\r')[0]?.split('|')[9] ?? '';
      received.push(id);
      onFrame(id, received.length - 1);
    }
  });
}

/** Listens on 127.0.0.1, a port the system picks; resolves with the port. (net and tls servers alike.) */
export async function listenLocal(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  return typeof addr === 'object' && addr !== null ? addr.port : 0;
}
