/**
 * The MLLP server against raw sockets on 127.0.0.1: every framing case of docs/hl7.md, "Framing cases" (split frames,
 * packed frames, garbage, oversize, lone FS, LF after FS CR), ordering, ACK-after-commit, MSH-15, admission,
 * idle timeout and graceful close. Each asserts what the handler saw and which ACKs came back.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { readAck, type Hl7AckDecision, type ReceivedAck } from '../../src/hl7/ack.js';
import { readMessageBytes } from '../../src/hl7/inbound.js';
import { MllpServer, type ReceivedHl7Message } from '../../src/hl7/index.js';
import type { ConnectionSummary } from '../../src/hl7/mllp-connection.js';
import { type FrameError, type MllpServerOptions } from '../../src/hl7/mllp-server.js';
import { MllpDecoder } from '../../src/hl7/mllp-framing.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { capturingLogger } from '../helpers/capturing-logger.js';

const VT = Buffer.from([0x0b]);
const FS_CR = Buffer.from([0x1c, 0x0d]);
const frame = (payload: Buffer | string): Buffer => Buffer.concat([VT, Buffer.from(payload), FS_CR]);
const oru = (id: string, extra = ''): string => `MSH|^~\\&|RIS|HOSP|GW|HOSP|20260101||ORU^R01|${id}|P|2.5${extra}\rPID|||1||Müller^Anna\rOBX|1|TX|R||report ${id}\r`;

/** A test peer on a raw socket: writes bytes exactly as given and collects the ACK frames that come back. */
class RawPeer {
  readonly acks: ReceivedAck[] = [];
  readonly ackBytes: Buffer[] = [];
  private readonly notAcks: string[] = [];
  private readonly decoder = new MllpDecoder({ maxMessageBytes: 1 << 20 });
  private wake: () => void = () => {};
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const e of this.decoder.push(chunk)) {
        if (e.kind !== 'frame') continue;
        this.ackBytes.push(e.payload);
        const item = readMessageBytes(e.payload);
        const ack = item.kind === 'message' ? readAck(item.message) : undefined;
        if (ack === undefined) this.notAcks.push(e.payload.toString('latin1'));
        else this.acks.push(ack);
      }
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => (this.wake(), resolve())));
  }

  static async open(port: number): Promise<RawPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  /** Writes chunks one after another, each flushed before the next (so they tend to arrive as separate TCP reads). */
  async write(...chunks: Buffer[]): Promise<void> {
    for (const c of chunks) await new Promise<void>((resolve, reject) => this.socket.write(c, (err) => (err ? reject(err) : resolve())));
  }

  async waitForAcks(n: number, timeoutMs = 10_000): Promise<ReceivedAck[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.acks.length < n) {
      if (this.notAcks.length > 0) throw new Error(`reply is not an ACK: ${this.notAcks[0]}`);
      if (this.socket.destroyed) throw new Error(`connection closed after ${this.acks.length} of ${n} ACKs`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting for ${n} ACKs, got ${this.acks.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.acks.slice(0, n);
  }

  close(): void {
    this.socket.destroy();
  }
}

interface Harness {
  server: MllpServer;
  port: number;
  seen: ReceivedHl7Message[];
  frameErrors: FrameError[];
}

const DEFAULTS: MllpServerOptions = {
  host: '127.0.0.1',
  port: 0,
  allowedHosts: ['127.0.0.1', '::1'],
  maxConnections: 8,
  maxMessageBytes: 2 * 1024 * 1024,
  idleTimeoutMs: 30_000,
  shutdownTimeoutMs: 5_000,
};

describe('socket: MLLP server over raw sockets', function () {
  this.timeout(30_000);
  const open: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  async function start(options: Partial<MllpServerOptions> = {}, decide: (r: ReceivedHl7Message) => Promise<Hl7AckDecision> = async () => ({ code: 'AA' }), log: Logger = silentLogger): Promise<Harness> {
    const seen: ReceivedHl7Message[] = [];
    const server = new MllpServer({ ...DEFAULTS, ...options }, { log, handler: async (r) => (seen.push(r), decide(r)) });
    const frameErrors: FrameError[] = [];
    server.on('frame-error', (e) => frameErrors.push(e));
    const port = await server.listen();
    open.push(server);
    return { server, port, seen, frameErrors };
  }

  async function peer(port: number): Promise<RawPeer> {
    const p = await RawPeer.open(port);
    open.unshift(p);
    return p;
  }

  it('S1: one frame in one write → one handler call, ACK AA with MSA-2 = MSH-10', async () => {
    const h = await start();
    const p = await peer(h.port);
    await p.write(frame(oru('S1')));
    expect(await p.waitForAcks(1)).to.deep.equal([{ code: 'AA', acknowledgedControlId: 'S1', text: '', conditions: [] }]);
    expect(h.seen.map((r) => [r.controlId, r.message.field('PID', 5)])).to.deep.equal([['S1', 'Müller']]);
  });

  it('S2: a frame split in three writes (inside ü, and between FS and CR)', async () => {
    const h = await start();
    const p = await peer(h.port);
    const bytes = frame(oru('S2'));
    const u = bytes.indexOf(Buffer.from('ü'));
    await p.write(bytes.subarray(0, u + 1), bytes.subarray(u + 1, bytes.length - 1), bytes.subarray(bytes.length - 1));
    expect((await p.waitForAcks(1))[0]?.acknowledgedControlId).to.equal('S2');
    expect(h.seen.map((r) => r.message.field('PID', 5))).to.deep.equal(['Müller']);
  });

  it('S3/S5: several frames in one write, and a frame plus the start of the next', async () => {
    const h = await start();
    const p = await peer(h.port);
    const third = frame(oru('C'));
    await p.write(Buffer.concat([frame(oru('A')), frame(oru('B')), third.subarray(0, 20)]), third.subarray(20));
    expect((await p.waitForAcks(3)).map((a) => a.acknowledgedControlId)).to.deep.equal(['A', 'B', 'C']);
    expect(h.seen.map((r) => r.controlId)).to.deep.equal(['A', 'B', 'C']);
  });

  it('S4: three messages one after another on one connection → exactly three deliveries', async () => {
    const h = await start();
    const p = await peer(h.port);
    for (const [k, id] of ['M1', 'M2', 'M3'].entries()) {
      await p.write(frame(oru(id)));
      await p.waitForAcks(k + 1);
    }
    expect(h.seen.map((r) => r.controlId)).to.deep.equal(['M1', 'M2', 'M3']);
    expect(p.acks).to.have.length(3);
  });

  it('S6: a 1 MB message arriving in many TCP chunks', async () => {
    const h = await start();
    const p = await peer(h.port);
    const big = oru('BIG').replace('report BIG', 'x'.repeat(1_000_000));
    await p.write(frame(big));
    expect((await p.waitForAcks(1))[0]?.code).to.equal('AA');
    expect(h.seen[0]?.message.field('OBX', 5).length).to.equal(1_000_000);
  });

  it('S7: ISO-8859-1 bytes with MSH-18 8859/1 are read right, and the ACK echoes MSH-18', async () => {
    const h = await start();
    const p = await peer(h.port);
    await p.write(frame(Buffer.from(oru('L1', '||||||8859/1'), 'latin1')));
    await p.waitForAcks(1);
    expect(h.seen[0]?.message.field('PID', 5)).to.equal('Müller');
    expect(h.seen[0]?.encoding).to.equal('windows-1252');
    expect(p.ackBytes[0]?.toString('latin1').split('\r')[0]).to.match(/\|8859\/1$/);
  });

  it('S8/S9: LF after FS CR and CRLF between segments change nothing', async () => {
    const h = await start();
    const p = await peer(h.port);
    await p.write(Buffer.concat([frame(oru('N1')), Buffer.from('\n'), frame(oru('N2').replace(/\r/g, '\r\n'))]));
    expect((await p.waitForAcks(2)).map((a) => a.code)).to.deep.equal(['AA', 'AA']);
    expect(h.seen.map((r) => [r.controlId, r.message.segments().length])).to.deep.equal([['N1', 3], ['N2', 3]]);
    expect(h.frameErrors).to.deep.equal([]);
  });

  it('skips and reports garbage between frames', async () => {
    const h = await start();
    const p = await peer(h.port);
    await p.write(Buffer.concat([Buffer.from('garbage!'), frame(oru('G1')), Buffer.from('more junk'), frame(oru('G2'))]));
    expect((await p.waitForAcks(2)).map((a) => a.acknowledgedControlId)).to.deep.equal(['G1', 'G2']);
    expect(h.frameErrors.map((e) => [e.code, e.fault.kind])).to.deep.equal([['GW_ERR_HL7_FRAMING', 'garbage'], ['GW_ERR_HL7_FRAMING', 'garbage']]);
  });

  it('logs the first five framing faults of a connection, counts the rest in its closing line, reports each', async () => {
    const log = capturingLogger();
    const h = await start({}, undefined, log);
    const closed = new Promise<ConnectionSummary>((resolve) => h.server.on('connection-closed', resolve));
    const p = await peer(h.port);
    for (let i = 0; i < 20; i++) await p.write(Buffer.from(`junk ${i}`), frame(oru(`J${i}`)));
    await p.waitForAcks(20);
    p.close();
    expect((await closed).framingFaults).to.equal(20);
    expect(h.frameErrors).to.have.length(20);
    expect(log.lines.filter((l) => l.message === 'hl7 framing fault')).to.have.length(5);
    expect(log.lines.filter((l) => l.message.startsWith('hl7 framing faults: further ones'))).to.have.length(1);
  });

  it('answers an oversize frame with AR (ERR names the limit) without buffering it, then serves the next frame', async () => {
    const h = await start({ maxMessageBytes: 64 * 1024 });
    const p = await peer(h.port);
    const big = Buffer.from(oru('HUGE').replace('report HUGE', 'y'.repeat(3_000_000)));
    await p.write(frame(big), frame(oru('AFTER')));
    const [tooBig, after] = await p.waitForAcks(2);
    expect(tooBig).to.deep.include({ code: 'AR', acknowledgedControlId: 'HUGE', conditions: ['207'] });
    expect(after).to.deep.include({ code: 'AA', acknowledgedControlId: 'AFTER' });
    expect(h.seen.map((r) => r.controlId)).to.deep.equal(['AFTER']);
    expect(h.frameErrors.map((e) => e.code)).to.deep.equal(['GW_ERR_HL7_FRAME_TOO_LARGE']);
  });

  it('delivers a frame ended by a lone FS (reporting the missing CR) and the frame after it', async () => {
    const h = await start();
    const p = await peer(h.port);
    await p.write(Buffer.concat([VT, Buffer.from(oru('F1')), Buffer.from([0x1c]), frame(oru('F2'))]));
    expect((await p.waitForAcks(2)).map((a) => a.acknowledgedControlId)).to.deep.equal(['F1', 'F2']);
    expect(h.frameErrors.map((e) => e.fault.kind)).to.deep.equal(['missing-cr']);
  });

  it('answers a parse error with AR and an ERR segment, without calling the handler', async () => {
    const h = await start();
    const p = await peer(h.port);
    await p.write(frame('Unparseable message\n'), frame('MSH|^~\\&|RIS|H|GW|H|2026||ORU^R01||P|2.5\r'));
    const [notHl7, noId] = await p.waitForAcks(2);
    expect(notHl7).to.deep.include({ code: 'AR', conditions: ['100'] });
    expect(noId).to.deep.include({ code: 'AR', conditions: ['101'] });
    expect(h.seen).to.deep.equal([]);
  });

  it('handles one message at a time per connection and ACKs only after the handler resolves', async () => {
    let active = 0;
    let maxActive = 0;
    const releases: Array<() => void> = [];
    const h = await start({}, async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((resolve) => releases.push(resolve));
      active -= 1;
      return { code: 'AA' };
    });
    const p = await peer(h.port);
    await p.write(Buffer.concat([frame(oru('O1')), frame(oru('O2'))]));
    const first = await waitUntil(() => releases.length === 1);
    expect(first && p.acks.length).to.equal(0);
    releases[0]?.();
    await p.waitForAcks(1);
    await waitUntil(() => releases.length === 2);
    releases[1]?.();
    expect((await p.waitForAcks(2)).map((a) => a.acknowledgedControlId)).to.deep.equal(['O1', 'O2']);
    expect(maxActive).to.equal(1);
  });

  it('sends no ACK for MSH-15 NE, CA for AL, and AE when the handler fails', async () => {
    const h = await start({}, async (r) => {
      if (r.controlId === 'FAIL') throw new Error('database is locked');
      return { code: 'AA' };
    });
    const p = await peer(h.port);
    await p.write(frame(oru('QUIET', '|||NE')), frame(oru('LOUD', '|||AL')), frame(oru('FAIL')));
    const acks = await p.waitForAcks(2);
    expect(acks.map((a) => [a.code, a.acknowledgedControlId])).to.deep.equal([['CA', 'LOUD'], ['AE', 'FAIL']]);
    expect(h.seen.map((r) => r.controlId)).to.deep.equal(['QUIET', 'LOUD', 'FAIL']);
  });

  it('still ACKs a peer that half-closes right after sending', async () => {
    const h = await start();
    const p = await peer(h.port);
    p.socket.end(frame(oru('HALF')));
    expect((await p.waitForAcks(1))[0]?.acknowledgedControlId).to.equal('HALF');
    await p.closed;
    expect(h.seen).to.have.length(1);
  });

  it('closes peers not on allowedHosts at once, and connections over the cap', async () => {
    const strict = await start({ allowedHosts: ['10.9.9.9'] });
    const refused = once(strict.server, 'connection-refused');
    const outsider = await peer(strict.port);
    expect((await refused)[0]).to.deep.equal({ peerAddress: '127.0.0.1', code: 'GW_ERR_HL7_PEER_NOT_ALLOWED' });
    await outsider.closed;

    const capped = await start({ maxConnections: 1 });
    const opened = once(capped.server, 'connection');
    await peer(capped.port);
    await opened;
    const overCap = once(capped.server, 'connection-refused');
    const second = await peer(capped.port);
    expect((await overCap)[0]).to.deep.include({ code: 'GW_ERR_HL7_TOO_MANY_CONNECTIONS' });
    await second.closed;
  });

  it('closes an idle connection', async () => {
    const h = await start({ idleTimeoutMs: 150 });
    const closed = once(h.server, 'connection-closed');
    const p = await peer(h.port);
    expect((await closed)[0]).to.deep.include({ reason: 'idle-timeout' });
    await p.closed;
  });

  it('on close() finishes and ACKs the message in progress, then closes the connection', async () => {
    let release: () => void = () => {};
    const h = await start({}, () => new Promise((resolve) => (release = () => resolve({ code: 'AA' }))));
    const p = await peer(h.port);
    await p.write(frame(oru('LAST')));
    await waitUntil(() => h.seen.length === 1);
    const closing = h.server.close();
    release();
    await closing;
    await p.closed;
    expect(p.acks.map((a) => a.acknowledgedControlId)).to.deep.equal(['LAST']);
  });

  it('keeps serving when an event listener throws', async () => {
    const h = await start();
    h.server.on('message', () => {
      throw new Error('listener bug');
    });
    const p = await peer(h.port);
    await p.write(frame(oru('L1')), frame(oru('L2')));
    expect((await p.waitForAcks(2)).map((a) => a.code)).to.deep.equal(['AA', 'AA']);
  });
});

/** Awaits a condition on the next turns of the event loop (no fixed sleeps). */
async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}
