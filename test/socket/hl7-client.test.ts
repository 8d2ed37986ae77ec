/**
 * The MLLP client against scripted servers on 127.0.0.1 (docs/hl7.md, "Framing cases", client side): ACKs split
 * between FS and CR or inside a UTF-8 character, servers that close after each ACK or never answer, pipelined
 * sends, MSA-2 mismatch, AE/AR/CA; and against our own server.
 */
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { buildHl7Message, MllpClient, MllpServer } from '../../src/hl7/index.js';
import { type MllpClientOptions } from '../../src/hl7/mllp-client.js';
import { createControlIdGenerator } from '../../src/hl7/control-id.js';
import { silentLogger } from '../../src/log.js';
import { freePort } from '../helpers/fixtures.js';
import { listenLocal, mllpFrame, readMllpFrames } from '../helpers/mllp-peer.js';

const frame = mllpFrame;
const oru = (id: string): string => `MSH|^~\\&|GW|RAD|RIS|HOSP|20260101||ORU^R01|${id}|P|2.5\rOBX|1|TX|R||AI: nodule\r`;
const ackFor = (id: string, code = 'AA', extra = ''): string => `MSH|^~\\&|RIS|HOSP|GW|RAD|20260101||ACK^R01^ACK|R-${id}|P|2.5\rMSA|${code}|${id}${extra}\r`;

/** What a scripted server does with each received frame (its MSH-10 given). */
type Script = (socket: Socket, controlId: string, index: number) => void | Promise<void>;

async function scriptedServer(script: Script): Promise<{ server: Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = createServer({ noDelay: true }, (socket) => readMllpFrames(socket, received, (id, index) => void script(socket, id, index)));
  return { server, port: await listenLocal(server), received };
}

/** Writes chunks as separate, flushed writes. */
async function writeChunks(socket: Socket, ...chunks: Buffer[]): Promise<void> {
  for (const c of chunks) await new Promise<void>((resolve) => socket.write(c, () => resolve()));
}

describe('socket: MLLP client against scripted servers', function () {
  this.timeout(30_000);
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  async function setup(script: Script, options: Partial<MllpClientOptions> = {}): Promise<{ client: MllpClient; received: string[] }> {
    const { server, port, received } = await scriptedServer(script);
    const client = new MllpClient({ host: '127.0.0.1', port, connectTimeoutMs: 2_000, ackTimeoutMs: 2_000, ...options }, { log: silentLogger });
    cleanup.push(() => client.close(), () => new Promise((resolve) => server.close(resolve)), () => server.unref());
    return { client, received };
  }

  it('accepts an ACK written in one piece and checks MSA-2 against our MSH-10', async () => {
    const { client } = await setup((s, id) => void s.write(frame(ackFor(id))));
    const r = await client.send(oru('C1'));
    expect(r.kind).to.equal('accepted');
    expect(r.detail).to.deep.include({ controlId: 'C1' });
    expect(r.detail.ack).to.deep.include({ code: 'AA', acknowledgedControlId: 'C1' });
  });

  it('reassembles an ACK split between FS and CR, and one split inside a UTF-8 character', async () => {
    const { client } = await setup(async (s, id, k) => {
      const bytes = frame(ackFor(id, 'AA', k === 1 ? '|Geprüft' : ''));
      const cut = k === 0 ? bytes.length - 1 : bytes.indexOf(Buffer.from('ü')) + 1;
      await writeChunks(s, bytes.subarray(0, cut), bytes.subarray(cut));
    });
    expect((await client.send(oru('SPLIT1'))).kind).to.equal('accepted');
    const second = await client.send(oru('SPLIT2'));
    expect(second.kind).to.equal('accepted');
    expect(second.detail.ack?.text).to.equal('Geprüft');
  });

  it('maps AE/CE to application-error, AR/CR to application-reject, CA to accepted', async () => {
    const codes = ['AE', 'AR', 'CA', 'CE', 'CR'];
    const { client } = await setup((s, id, k) => void s.write(frame(ackFor(id, codes[k], '|why\rERR|||207^Application internal error^HL70357|E'))));
    const results = [];
    for (const id of codes) results.push(await client.send(oru(`K-${id}`)));
    expect(results.map((r) => r.kind)).to.deep.equal(['application-error', 'application-reject', 'accepted', 'application-error', 'application-reject']);
    expect(results[0]?.detail).to.deep.include({ code: 'GW_ERR_HL7_PEER_ERROR' });
    expect(results[0]?.detail.ack?.conditions).to.deep.equal(['207']);
  });

  it('reports an ACK whose MSA-2 is not our MSH-10 as a protocol error, then starts a fresh connection', async () => {
    const { client, received } = await setup((s, id) => void s.write(frame(ackFor(id === 'WRONG' ? 'SOMEONE-ELSE' : id))));
    const r = await client.send(oru('WRONG'));
    expect([r.kind, r.detail.code]).to.deep.equal(['protocol-error', 'GW_ERR_HL7_ACK_MISMATCH']);
    expect((await client.send(oru('RIGHT'))).kind).to.equal('accepted');
    expect(received).to.deep.equal(['WRONG', 'RIGHT']);
  });

  it('reports a reply that is not an ACK as a protocol error', async () => {
    const { client } = await setup((s) => void s.write(frame('MSH|^~\\&|RIS|H|GW|H|2026||ADT^A01|X|P|2.5\rPID|||1\r')));
    const r = await client.send(oru('NOACK'));
    expect([r.kind, r.detail.code]).to.deep.equal(['protocol-error', 'GW_ERR_HL7_ACK_INVALID']);
  });

  it('times out when no ACK comes, and is not fooled by the late ACK afterwards', async () => {
    const { client } = await setup(async (s, id) => {
      if (id === 'SLOW') return; // never answers on this connection
      s.write(frame(ackFor(id)));
    }, { ackTimeoutMs: 200 });
    const slow = await client.send(oru('SLOW'));
    expect([slow.kind, slow.detail.code]).to.deep.equal(['timeout', 'GW_ERR_HL7_ACK_TIMEOUT']);
    expect((await client.send(oru('NEXT'))).kind).to.equal('accepted');
  });

  it('works with a server that closes after every ACK: reconnects, loses nothing; keepAlive false sends each once', async () => {
    const kept = await setup((s, id) => void s.end(frame(ackFor(id))));
    const kinds = [];
    for (const id of ['Z1', 'Z2', 'Z3']) kinds.push((await kept.client.send(oru(id))).kind);
    expect(kinds).to.deep.equal(['accepted', 'accepted', 'accepted']);
    // The reused connection races the server's FIN, so a message may reach it twice (same MSH-10): never lost.
    expect([...new Set(kept.received)]).to.deep.equal(['Z1', 'Z2', 'Z3']);

    const fresh = await setup((s, id) => void s.end(frame(ackFor(id))), { keepAlive: false });
    for (const id of ['Y1', 'Y2', 'Y3']) expect((await fresh.client.send(oru(id))).kind).to.equal('accepted');
    expect(fresh.received).to.deep.equal(['Y1', 'Y2', 'Y3']);
  });

  it('serialises pipelined sends: one outstanding message, each ACK matched to its message', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const { client } = await setup(async (s, id) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Scenario, not a wait: the server answers a turn later, so a client that pipelined would have a second
      // message arrive while this one is in flight.
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      s.write(frame(ackFor(id)));
    });
    const results = await Promise.all(['P1', 'P2', 'P3'].map((id) => client.send(oru(id))));
    expect(results.map((r) => [r.kind, r.detail.ack?.acknowledgedControlId])).to.deep.equal([['accepted', 'P1'], ['accepted', 'P2'], ['accepted', 'P3']]);
    expect(maxInFlight).to.equal(1);
  });

  it('reports connection-failed when nothing listens, and when the peer closes before the ACK', async () => {
    const nobody = new MllpClient({ host: '127.0.0.1', port: await freePort(), connectTimeoutMs: 2_000, ackTimeoutMs: 2_000 }, { log: silentLogger });
    const r = await nobody.send(oru('LOST'));
    expect([r.kind, r.detail.code]).to.deep.equal(['connection-failed', 'GW_ERR_HL7_CONNECTION_FAILED']);
    const { client } = await setup((s) => void s.destroy());
    expect((await client.send(oru('DROPPED'))).kind).to.equal('connection-failed');
  });

  it('refuses to send an invalid message, without connecting', async () => {
    const { client, received } = await setup((s, id) => void s.write(frame(ackFor(id))));
    const r = await client.send('not a message');
    expect([r.kind, r.detail.code]).to.deep.equal(['protocol-error', 'GW_ERR_HL7_NOT_HL7']);
    const framing = await client.send(oru('VT').replace('nodule', 'nod\x0bule'));
    expect([framing.kind, framing.detail.code]).to.deep.equal(['protocol-error', 'GW_ERR_HL7_MALFORMED']);
    expect(received).to.deep.equal([]);
  });

  it('round-trips a built ORU^R01 through our own server', async () => {
    const texts: string[] = [];
    const server = new MllpServer(
      { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], maxConnections: 4, maxMessageBytes: 1 << 20, idleTimeoutMs: 10_000, shutdownTimeoutMs: 2_000 },
      { log: silentLogger, handler: async (r) => (texts.push(r.message.field('OBX', 5)), { code: 'AA' }) },
    );
    const port = await server.listen();
    const client = new MllpClient({ host: '127.0.0.1', port, connectTimeoutMs: 2_000, ackTimeoutMs: 2_000 }, { log: silentLogger });
    cleanup.push(() => client.close(), () => server.close());
    const ids = createControlIdGenerator();
    const message = (text: string): string =>
      buildHl7Message(
        { sendingApplication: 'AIGATEWAY', sendingFacility: 'RAD', receivingApplication: 'RIS', receivingFacility: 'HOSP', messageType: { code: 'ORU', trigger: 'R01', structure: 'ORU_R01' }, controlId: ids.next() },
        [{ name: 'OBX', fields: ['1', 'TX', ['AI', 'AI finding'], undefined, text] }],
      );
    const results = [await client.send(message('Nodule 8 mm | right ^ upper & lobe\nsee prior')), await client.send(message('肺结节 8 毫米'))];
    expect(results.map((r) => r.kind)).to.deep.equal(['accepted', 'accepted']);
    expect(texts).to.deep.equal(['Nodule 8 mm | right ^ upper & lobe\nsee prior', '肺结节 8 毫米']);
  });
});
