/**
 * Bad peers on raw sockets: garbage, a truncated A-ASSOCIATE-RQ, an oversize PDU, a peer that stops mid-PDU
 * or goes idle. Each is closed by the right rule and timer (the others are set far longer, so only the timer under
 * test can close it in its window), the peer gets the PS3.8 answer for that case, the log names the reason,
 * memory stays bounded, and the SCP keeps serving the next association.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { CommandField, NO_DATASET, Status, decodeCommand, encodeCommand } from '../../src/dicom/dimse-command.js';
import { AbortReason, AbortSource, PduType, decodePData, encodeAbort, encodeAssociateRq, encodePData, encodeReleaseRq } from '../../src/dicom/pdu.js';
import { PduReader, type RawPdu } from '../../src/dicom/pdu-reader.js';
import { runCleanups } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { captureLog, type CapturedLog } from '../helpers/tls.js';

const VERIFICATION = '1.2.840.10008.1.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
/** The timer under test. */
const TIMER_MS = 500;
/** Every other timer: far beyond the window in which the timer under test must have closed the connection. */
const LONG_MS = 20_000;
/** The window in which the timer under test must close the connection (well before LONG_MS). */
const WINDOW = { min: TIMER_MS - 100, max: TIMER_MS + 2_500 };

interface RawPeer {
  socket: Socket;
  received: Buffer[];
  /** Resolves with ms from connect to close. */
  closed: Promise<number>;
}

function rawPeer(port: number): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    const started = Date.now();
    const closed = new Promise<number>((res) => socket.on('close', () => res(Date.now() - started)));
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, received, closed }));
    socket.once('error', reject);
  });
}

/** The ms from connect to close, or a failure if the connection is still open after `ms`. */
async function closedWithin(peer: RawPeer, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the SCP did not close the connection within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([peer.closed, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The PDUs the peer received, in order. */
function pdusOf(peer: RawPeer): RawPdu[] {
  return new PduReader(1 << 20).push(Buffer.concat(peer.received));
}

/** A-ABORT from the service provider with the given reason, as it goes on the wire (PS3.8 9.3.8). */
function providerAbort(reason: number): Buffer {
  return encodeAbort(AbortSource.ServiceProvider, reason);
}

function associateRq(): Buffer {
  return encodeAssociateRq({
    calledAeTitle: 'AIGATEWAY',
    callingAeTitle: 'RAWPEER',
    contexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
    maxPduLength: 16384,
  });
}

async function established(port: number): Promise<RawPeer> {
  const peer = await rawPeer(port);
  peer.socket.write(associateRq());
  await new Promise<void>((resolve) => peer.socket.once('data', () => resolve()));
  expect(peer.received[0]?.[0]).to.equal(PduType.AssociateAc);
  return peer;
}

/** The SCP still serves: a new association answers a C-ECHO with Success and releases properly. */
async function stillServes(port: number): Promise<void> {
  const peer = await established(port);
  const echo = encodeCommand({ commandField: CommandField.CEchoRq, messageId: 7, affectedSopClassUid: VERIFICATION, dataSetType: NO_DATASET });
  for (const p of encodePData(1, true, echo, 16384)) peer.socket.write(p);
  while (pdusOf(peer).length < 2) await once(peer.socket, 'data');
  const rsp = pdusOf(peer)[1] as RawPdu;
  expect(rsp.type).to.equal(PduType.PData);
  const cmd = decodeCommand(Buffer.concat(decodePData(rsp.body).map((p) => p.data)));
  expect([cmd.commandField, cmd.messageIdBeingRespondedTo, cmd.status]).to.deep.equal([CommandField.CEchoRsp, 7, Status.Success]);
  peer.socket.write(encodeReleaseRq());
  await closedWithin(peer, 5_000);
  expect(pdusOf(peer).map((p) => p.type)).to.deep.equal([PduType.AssociateAc, PduType.PData, PduType.ReleaseRp]);
}

/** The 'association aborted' log lines whose reason matches. */
function abortsLogged(log: CapturedLog, reason: RegExp): Array<Record<string, unknown>> {
  return log.find('association aborted').filter((l) => typeof l.reason === 'string' && reason.test(l.reason));
}

async function gatewayWith(dicom: { artimTimeoutMs: number; pduTimeoutMs: number; idleTimeoutMs: number }): Promise<{ gw: TestGateway; log: CapturedLog }> {
  const log = captureLog();
  const gw = await startGateway({ dicom: { ...dicom, maxPduBytes: 65536 } }, log.log);
  return { gw, log };
}

describe('socket: SCP against misbehaving peers', function () {
  this.timeout(60_000);
  const started: TestGateway[] = [];
  after(async () => {
    await Promise.all(started.map((g) => g.stop()));
    runCleanups();
  });

  describe('with every timer long', () => {
    let gw: TestGateway;
    let log: CapturedLog;
    before(async () => {
      ({ gw, log } = await gatewayWith({ artimTimeoutMs: LONG_MS, pduTimeoutMs: LONG_MS, idleTimeoutMs: LONG_MS }));
      started.push(gw);
    });

    it('aborts a connection that sends garbage (an HTTP request) at once, with A-ABORT "unrecognized PDU"', async () => {
      const peer = await rawPeer(gw.dicomPort);
      peer.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await closedWithin(peer, 1_000)).to.be.below(1_000);
      expect(Buffer.concat(peer.received)).to.deep.equal(providerAbort(AbortReason.UnrecognizedPdu));
      expect(abortsLogged(log, /unknown PDU type 0x47/)).to.have.length(1);
      await stillServes(gw.dicomPort);
    });

    it('survives a peer that connects, sends half an A-ASSOCIATE-RQ and disconnects; sends it nothing', async () => {
      const peer = await rawPeer(gw.dicomPort);
      peer.socket.end(associateRq().subarray(0, 30));
      await closedWithin(peer, 5_000);
      expect(Buffer.concat(peer.received)).to.have.length(0);
      await stillServes(gw.dicomPort);
    });

    it('aborts an oversize P-DATA PDU from its header, before buffering it; memory stays flat', async () => {
      const peer = await established(gw.dicomPort);
      const rssBefore = process.memoryUsage().rss;
      const header = Buffer.from([PduType.PData, 0, 0xff, 0xff, 0xff, 0xf0]); // claims ~4 GiB
      peer.socket.write(header);
      const junk = Buffer.alloc(1024 * 1024, 0x55);
      for (let i = 0; i < 64 && !peer.socket.destroyed; i++) peer.socket.write(junk);
      await closedWithin(peer, 10_000);
      expect(pdusOf(peer).map((p) => p.type)).to.deep.equal([PduType.AssociateAc, PduType.Abort]);
      expect(Buffer.concat(peer.received).subarray(-10)).to.deep.equal(providerAbort(AbortReason.InvalidPduParameterValue));
      expect(log.find('association aborted').filter((l) => l.code === 'GW_ERR_PDU_TOO_LARGE')).to.have.length(1);
      expect(process.memoryUsage().rss - rssBefore).to.be.below(64 * 1024 * 1024);
      await stillServes(gw.dicomPort);
    });

    it('aborts P-DATA before association ("unexpected PDU") and a PDV on an unaccepted context ("invalid parameter")', async () => {
      const early = await rawPeer(gw.dicomPort);
      early.socket.write(encodePData(1, true, Buffer.alloc(10), 0)[0] as Buffer);
      await closedWithin(early, 5_000);
      expect(Buffer.concat(early.received)).to.deep.equal(providerAbort(AbortReason.UnexpectedPdu));
      const peer = await established(gw.dicomPort);
      peer.socket.write(encodePData(3, true, Buffer.alloc(10), 0)[0] as Buffer);
      await closedWithin(peer, 5_000);
      expect(pdusOf(peer).map((p) => p.type)).to.deep.equal([PduType.AssociateAc, PduType.Abort]);
      expect(Buffer.concat(peer.received).subarray(-10)).to.deep.equal(providerAbort(AbortReason.InvalidPduParameterValue));
      expect(abortsLogged(log, /presentation context 3, which was not accepted/)).to.have.length(1);
      await stillServes(gw.dicomPort);
    });
  });

  describe(`ARTIM ${TIMER_MS} ms, PDU deadline and idle timeout ${LONG_MS} ms`, () => {
    let gw: TestGateway;
    let log: CapturedLog;
    before(async () => {
      ({ gw, log } = await gatewayWith({ artimTimeoutMs: TIMER_MS, pduTimeoutMs: LONG_MS, idleTimeoutMs: LONG_MS }));
      started.push(gw);
    });

    it('closes (without A-ABORT, PS3.8 AA-2) a peer whose A-ASSOCIATE-RQ is incomplete when ARTIM expires', async () => {
      const peer = await rawPeer(gw.dicomPort);
      peer.socket.write(associateRq().subarray(0, 40));
      expect(await closedWithin(peer, WINDOW.max)).to.be.within(WINDOW.min, WINDOW.max);
      expect(Buffer.concat(peer.received), 'before A-ASSOCIATE-AC the SCP just closes').to.have.length(0);
      const [line] = abortsLogged(log, new RegExp(`^ARTIM expired: no complete A-ASSOCIATE-RQ within ${TIMER_MS} ms$`));
      expect(line?.code).to.equal('GW_ERR_ASSOCIATION_TIMEOUT');
      await stillServes(gw.dicomPort);
    });
  });

  describe(`PDU deadline ${TIMER_MS} ms, ARTIM and idle timeout ${LONG_MS} ms`, () => {
    let gw: TestGateway;
    let log: CapturedLog;
    before(async () => {
      ({ gw, log } = await gatewayWith({ artimTimeoutMs: LONG_MS, pduTimeoutMs: TIMER_MS, idleTimeoutMs: LONG_MS }));
      started.push(gw);
    });

    it('aborts a peer that stops in the middle of a PDU when the PDU deadline passes', async () => {
      const peer = await established(gw.dicomPort);
      const connectedMs = Date.now();
      const pdus = encodePData(1, true, Buffer.alloc(1000, 1), 16384);
      peer.socket.write((pdus[0] as Buffer).subarray(0, 100));
      await closedWithin(peer, WINDOW.max);
      expect(Date.now() - connectedMs).to.be.within(WINDOW.min, WINDOW.max);
      expect(pdusOf(peer).map((p) => p.type)).to.deep.equal([PduType.AssociateAc, PduType.Abort]);
      expect(Buffer.concat(peer.received).subarray(-10)).to.deep.equal(providerAbort(AbortReason.NotSpecified));
      const [line] = abortsLogged(log, new RegExp(`^a PDU did not arrive completely within ${TIMER_MS} ms$`));
      expect(line?.code).to.equal('GW_ERR_ASSOCIATION_TIMEOUT');
      await stillServes(gw.dicomPort);
    });
  });

  describe(`idle timeout ${TIMER_MS} ms, ARTIM and PDU deadline ${LONG_MS} ms`, () => {
    let gw: TestGateway;
    let log: CapturedLog;
    before(async () => {
      ({ gw, log } = await gatewayWith({ artimTimeoutMs: LONG_MS, pduTimeoutMs: LONG_MS, idleTimeoutMs: TIMER_MS }));
      started.push(gw);
    });

    it('aborts an established association that goes idle', async () => {
      const peer = await established(gw.dicomPort);
      const acceptedMs = Date.now();
      await closedWithin(peer, WINDOW.max);
      expect(Date.now() - acceptedMs).to.be.within(WINDOW.min, WINDOW.max);
      expect(pdusOf(peer).map((p) => p.type)).to.deep.equal([PduType.AssociateAc, PduType.Abort]);
      expect(Buffer.concat(peer.received).subarray(-10)).to.deep.equal(providerAbort(AbortReason.NotSpecified));
      const [line] = abortsLogged(log, new RegExp(`^no data from the peer for ${TIMER_MS} ms$`));
      expect(line?.code).to.equal('GW_ERR_ASSOCIATION_TIMEOUT');
      await stillServes(gw.dicomPort);
    });
  });
});
