/**
 * Bad peers on raw sockets: garbage, a truncated A-ASSOCIATE-RQ, an oversize PDU, a peer that stops mid-PDU
 * or goes idle. Each is closed by the right rule (and timer), memory stays bounded, and echoscu keeps working.
 */
import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { encodeAssociateRq, encodePData, PduType } from '../../src/dicom/pdu.js';
import { echoscu } from '../helpers/dcmtk.js';
import { runCleanups } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers } from '../helpers/peers.js';

const VERIFICATION = '1.2.840.10008.1.1';

interface RawPeer {
  socket: Socket;
  received: Buffer[];
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

function associateRq(): Buffer {
  return encodeAssociateRq({
    calledAeTitle: 'AIGATEWAY',
    callingAeTitle: 'RAWPEER',
    contexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: ['1.2.840.10008.1.2'] }],
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

async function stillServes(gw: TestGateway): Promise<void> {
  const r = await echoscu(gw.dicomPort);
  expect(r.code, r.stderr).to.equal(0);
}

describe('socket: SCP against misbehaving peers', function () {
  this.timeout(60_000);
  let gw: TestGateway;

  before(async function () {
    requirePeers(this, 'echoscu');
    gw = await startGateway({ dicom: { artimTimeoutMs: 500, pduTimeoutMs: 500, idleTimeoutMs: 800, maxPduBytes: 65536 } });
  });
  after(async () => {
    await gw?.stop();
    runCleanups();
  });

  it('closes a connection that sends garbage (an HTTP request) at once', async () => {
    const peer = await rawPeer(gw.dicomPort);
    peer.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await peer.closed).to.be.below(400);
    await stillServes(gw);
  });

  it('drops a truncated A-ASSOCIATE-RQ when ARTIM expires', async () => {
    const peer = await rawPeer(gw.dicomPort);
    peer.socket.write(associateRq().subarray(0, 40));
    const ms = await peer.closed;
    expect(ms).to.be.within(400, 3000);
    await stillServes(gw);
  });

  it('survives a peer that connects, sends half an A-ASSOCIATE-RQ and disconnects', async () => {
    const peer = await rawPeer(gw.dicomPort);
    peer.socket.end(associateRq().subarray(0, 30));
    await peer.closed;
    await stillServes(gw);
  });

  it('aborts an oversize P-DATA PDU from its header, before buffering it; memory stays flat', async () => {
    const peer = await established(gw.dicomPort);
    const rssBefore = process.memoryUsage().rss;
    const header = Buffer.from([PduType.PData, 0, 0xff, 0xff, 0xff, 0xf0]); // claims ~4 GiB
    peer.socket.write(header);
    const junk = Buffer.alloc(1024 * 1024, 0x55);
    for (let i = 0; i < 64 && !peer.socket.destroyed; i++) peer.socket.write(junk);
    await peer.closed;
    const abort = Buffer.concat(peer.received).subarray(-10);
    expect(abort[0]).to.equal(PduType.Abort);
    expect(process.memoryUsage().rss - rssBefore).to.be.below(64 * 1024 * 1024);
    await stillServes(gw);
  });

  it('aborts a peer that stops in the middle of a PDU when the PDU deadline passes', async () => {
    const peer = await established(gw.dicomPort);
    const pdus = encodePData(1, true, Buffer.alloc(1000, 1), 16384);
    peer.socket.write((pdus[0] as Buffer).subarray(0, 100));
    const ms = await peer.closed;
    expect(ms).to.be.below(5000);
    await stillServes(gw);
  });

  it('aborts an established association that goes idle', async () => {
    const peer = await established(gw.dicomPort);
    const ms = await peer.closed;
    expect(ms).to.be.within(600, 5000);
    expect(Buffer.concat(peer.received).includes(Buffer.from([PduType.Abort, 0]))).to.equal(true);
    await stillServes(gw);
  });

  it('aborts P-DATA before association and a command on an unaccepted context', async () => {
    const early = await rawPeer(gw.dicomPort);
    early.socket.write(encodePData(1, true, Buffer.alloc(10), 0)[0] as Buffer);
    await early.closed;
    const peer = await established(gw.dicomPort);
    peer.socket.write(encodePData(3, true, Buffer.alloc(10), 0)[0] as Buffer);
    await peer.closed;
    expect(Buffer.concat(peer.received).subarray(-10)[0]).to.equal(PduType.Abort);
    await stillServes(gw);
  });

  it('rejects associations beyond maxAssociations with a transient A-ASSOCIATE-RJ, and recovers', async () => {
    const small = await startGateway({ dicom: { maxAssociations: 2, idleTimeoutMs: 5000 } });
    try {
      const held = [await established(small.dicomPort), await established(small.dicomPort)];
      const r = await echoscu(small.dicomPort);
      expect(r.code).to.not.equal(0);
      expect(r.stdout + r.stderr).to.match(/Rejected Transient[\s\S]*Local Limit Exceeded/i);
      for (const p of held) p.socket.destroy();
      await Promise.all(held.map((p) => p.closed));
      await new Promise((res) => setImmediate(res));
      await stillServes(small);
    } finally {
      await small.stop();
    }
  });
});
