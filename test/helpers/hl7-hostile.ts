/**
 * A seeded mix of hostile MLLP streams (the issue 15 probe's kinds: no start block, nested start blocks, missing
 * end block, bit flips, bad UTF-8 under MSH-18 UTF-8, odd encoding characters, 1-byte writes, oversize frames,
 * segment and repetition bombs) sent to an MLLP port, while a valid ORU is sent on its own connection after every
 * few streams and its ACK timed. Used by bench/hl7-hostile.ts and test/socket/hl7-hostile.test.ts.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { readAck, type ReceivedAck } from '../../src/hl7/ack.js';
import { readMessageBytes } from '../../src/hl7/inbound.js';
import { MllpDecoder } from '../../src/hl7/mllp-framing.js';
import { seededRandom } from '../../src/nlp/bootstrap.js';

/** mulberry32 (src/nlp/bootstrap.ts), so a failing mix can be replayed from its seed. */
export { seededRandom };

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

export const HOSTILE_KINDS = ['no-start', 'nested-start', 'no-end', 'bit-flips', 'bad-utf8', 'odd-delimiters', 'one-byte-writes', 'oversize', 'segment-bomb', 'repetition-bomb', 'garbage'] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];


export const validOru = (id: string, charset = 'UNICODE UTF-8'): string =>
  [
    `MSH|^~\\&|RIS|HOSP|GW|HOSP|20260101||ORU^R01^ORU_R01|${id}|P|2.5.1||||||${charset}`,
    'PID|1||P1||DOE^JANE',
    `OBR|1|ORD-${id}|ACC-${id}|71260^CT CHEST^CPT`,
    'OBX|1|TX|59776-5^Findings^LN||No acute cardiopulmonary finding. Heart size normal.||||||F',
  ].join('\r') + '\r';

const framed = (payload: Buffer): Buffer => Buffer.concat([Buffer.from([VT]), payload, Buffer.from([FS, CR])]);

/** The writes of one hostile stream (each element one socket write). */
export function hostileStream(kind: HostileKind, rnd: () => number, n: number, oversizeBytes: number): Buffer[] {
  const msg = Buffer.from(validOru(`H${n}`));
  switch (kind) {
    case 'no-start':
      return [Buffer.concat([msg, Buffer.from([FS, CR])])];
    case 'nested-start':
      return [Buffer.concat([Buffer.from([VT]), msg.subarray(0, 40), framed(msg)])];
    case 'no-end':
      return [Buffer.concat([Buffer.from([VT]), msg, Buffer.alloc(Math.floor(rnd() * 200_000), 'x')])];
    case 'bit-flips': {
      const bytes = Buffer.from(msg);
      for (let k = 0; k < 8; k++) {
        const at = Math.floor(rnd() * bytes.length);
        bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(rnd() * 8));
      }
      return [framed(bytes)];
    }
    case 'bad-utf8':
      return [framed(Buffer.concat([msg.subarray(0, msg.length - 20), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), msg.subarray(msg.length - 20)]))];
    case 'odd-delimiters':
      return [framed(Buffer.from(validOru(`D${n}`).replace('MSH|^~\\&|', rnd() < 0.5 ? 'MSH|^^\\&|' : 'MSH|^~|')))];
    case 'one-byte-writes': {
      const bytes = framed(msg);
      return Array.from(bytes, (b) => Buffer.from([b]));
    }
    case 'oversize': {
      const head = Buffer.from(validOru(`BIG${n}`));
      const chunk = Buffer.alloc(1 << 20, 'y');
      const body = Array.from({ length: Math.ceil(oversizeBytes / chunk.length) }, () => chunk);
      return [Buffer.concat([Buffer.from([VT]), head]), ...body, Buffer.from([FS, CR])];
    }
    case 'segment-bomb':
      return [framed(Buffer.concat([msg, Buffer.from('NTE|1\r'.repeat(50_000 + Math.floor(rnd() * 50_000)))]))];
    case 'repetition-bomb':
      return [framed(Buffer.from(validOru(`R${n}`).replace('No acute', `${'x~'.repeat(20_000 + Math.floor(rnd() * 80_000))}No acute`)))];
    case 'garbage':
      return [Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 4096) }, () => Math.floor(rnd() * 256)).filter((b) => b !== VT))];
  }
}

function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** Writes each piece in order, honouring back-pressure; stops quietly when the peer has closed. */
export async function writePieces(socket: Socket, writes: readonly Buffer[]): Promise<void> {
  for (const w of writes) {
    if (socket.destroyed) return;
    if (!socket.write(w)) await drainedOrClosed(socket);
  }
}

/** Sends one hostile stream on its own connection, reads whatever comes back, and closes after the writes. */
async function sendHostile(port: number, writes: Buffer[]): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.on('data', () => {});
  try {
    await once(socket, 'connect');
    await writePieces(socket, writes);
    // Give the server the chance to answer what it got (a peer that waits for its ACK), but never wait long.
    socket.end();
    await Promise.race([once(socket, 'close'), new Promise((resolve) => setTimeout(resolve, 2000))]);
  } catch {
    // refused or reset: the server may close a peer; that is not what is measured here
  } finally {
    socket.destroy();
  }
}

/** Sends a valid ORU on a fresh connection; resolves with its ACK code and how long the ACK took. */
export async function timedValidOru(port: number, id: string): Promise<{ code: string; ms: number }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  const decoder = new MllpDecoder({ maxMessageBytes: 1 << 20 });
  try {
    await once(socket, 'connect');
    const t0 = performance.now();
    socket.write(framed(Buffer.from(validOru(id))));
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ code: 'none', ms: performance.now() - t0 }), 10_000);
      socket.on('close', () => (clearTimeout(timer), resolve({ code: 'closed', ms: performance.now() - t0 })));
      socket.on('data', (chunk: Buffer) => {
        for (const e of decoder.push(chunk)) {
          if (e.kind !== 'frame') continue;
          const item = readMessageBytes(e.payload);
          clearTimeout(timer);
          resolve({ code: (item.kind === 'message' ? readAck(item.message)?.code : undefined) ?? 'not-an-ack', ms: performance.now() - t0 });
        }
      });
    });
  } finally {
    socket.destroy();
  }
}

export interface HostileRun {
  streams: Record<string, number>;
  valid: Array<{ id: string; code: string; ms: number }>;
}

/**
 * Sends `streams` hostile streams, `parallel` at a time, kinds drawn from the seed; after every `validEvery`
 * streams a valid ORU goes on its own connection and its ACK is timed while the hostile ones are in flight.
 */
export async function runHostileMix(port: number, options: { streams: number; seed: number; parallel?: number; validEvery?: number; oversizeBytes: number; kinds?: readonly HostileKind[] }): Promise<HostileRun> {
  const rnd = seededRandom(options.seed);
  const kinds = options.kinds ?? HOSTILE_KINDS;
  const parallel = options.parallel ?? 4;
  const validEvery = options.validEvery ?? 10;
  const run: HostileRun = { streams: {}, valid: [] };
  const valid: Array<Promise<void>> = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.streams) {
      const n = next++;
      const kind = kinds[Math.floor(rnd() * kinds.length)] as HostileKind;
      run.streams[kind] = (run.streams[kind] ?? 0) + 1;
      if (n % validEvery === 0) {
        const id = `V${options.seed}-${n}`;
        valid.push(timedValidOru(port, id).then((r) => void run.valid.push({ id, ...r })));
      }
      await sendHostile(port, hostileStream(kind, rnd, n, options.oversizeBytes));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  await Promise.all(valid);
  return run;
}

/** One raw MLLP connection: sends a frame and times the ACK that comes back. */
export async function sendAndTime(port: number, payload: string): Promise<{ ack: ReceivedAck; ms: number; errText: string }> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const decoder = new MllpDecoder({ maxMessageBytes: 1 << 20 });
  const t0 = performance.now();
  socket.write(framed(Buffer.from(payload, 'utf8')));
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ACK within 10 s')), 10_000);
      socket.on('data', (chunk: Buffer) => {
        for (const e of decoder.push(chunk)) {
          if (e.kind !== 'frame') continue;
          clearTimeout(timer);
          const item = readMessageBytes(e.payload);
          const ack = item.kind === 'message' ? readAck(item.message) : undefined;
          if (ack === undefined) reject(new Error(`reply is not an ACK: ${e.payload.toString('latin1')}`));
          else resolve({ ack, ms: performance.now() - t0, errText: item.kind === 'message' ? item.message.field('ERR', 8) : '' });
        }
      });
      socket.on('error', reject);
    });
  } finally {
    socket.destroy();
  }
}
