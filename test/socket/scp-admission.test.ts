/**
 * Who gets an association slot (issue 15, D4): an address not in dicom.allowedPeers is closed at accept and takes
 * no slot; one allowed address holds at most dicom.maxAssociationsPerPeer slots; a peer that trickles its data
 * below dicom.minDataRateBytesPerSec loses its slot. In each case another allowed peer still gets its C-ECHO.
 */
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandField, Status, encodeCommand } from '../../src/dicom/dimse-command.js';
import { AbortReason, PduType, RejectReason, RejectResult, RejectSource, decodeAbort, decodeAssociateRj, encodePData } from '../../src/dicom/pdu.js';
import { runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { minimalDataset } from '../helpers/crafted-dataset.js';
import { CT_STORAGE, EXPLICIT_LE, IMPLICIT_LE, RawPeer, VERIFICATION, pdataPdu, within } from '../helpers/raw-dicom.js';
import { captureLog, type CapturedLog } from '../helpers/tls.js';

/** Every timer not under test: far beyond the windows asserted here. */
const LONG_MS = 30_000;

/** An allowed peer opens an association, gets Success for a C-ECHO and releases. */
async function echoFrom(port: number, localAddress = '127.0.0.1'): Promise<void> {
  const peer = await RawPeer.connect(port, localAddress);
  const answer = await peer.associate();
  const rj = answer?.type === PduType.AssociateRj ? decodeAssociateRj(answer.body) : undefined;
  expect(answer?.type, rj === undefined ? 'A-ASSOCIATE-AC' : `A-ASSOCIATE-RJ ${JSON.stringify(rj)} instead of A-ASSOCIATE-AC`).to.equal(PduType.AssociateAc);
  expect(await peer.echo()).to.equal(Status.Success);
  await within(peer.release(), 5_000, 'the release');
}

/** dicom_associations_open as /metrics reports it. */
async function openAssociations(gw: TestGateway): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  const m = /^pacs_ai_gateway_dicom_associations_open(?:\{[^}]*\})? (\d+)$/m.exec(text);
  if (m === null) throw new Error('/metrics has no pacs_ai_gateway_dicom_associations_open');
  return Number(m[1]);
}

describe('socket: SCP admission and slots', function () {
  this.timeout(60_000);
  const peers: RawPeer[] = [];
  const gateways: TestGateway[] = [];
  afterEach(() => {
    for (const p of peers.splice(0)) p.socket.destroy();
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    runCleanups();
  });

  async function gateway(dicom: Record<string, unknown>): Promise<{ gw: TestGateway; log: CapturedLog }> {
    const log = captureLog();
    const gw = await startGateway({ dicom: { artimTimeoutMs: LONG_MS, idleTimeoutMs: LONG_MS, pduTimeoutMs: LONG_MS, ...dicom }, hl7: { enabled: false } }, log.log);
    gateways.push(gw);
    return { gw, log };
  }

  it('closes 40 idle connections from an address not in dicom.allowedPeers at accept; an allowed peer still gets its C-ECHO', async () => {
    const { gw, log } = await gateway({ maxAssociations: 4, allowedPeers: [{ aeTitle: '*', host: '127.0.0.1' }] });
    const intruders = await Promise.all(Array.from({ length: 40 }, () => RawPeer.connect(gw.dicomPort, '127.0.0.2').catch(() => undefined)));
    peers.push(...intruders.filter((p): p is RawPeer => p !== undefined));
    await echoFrom(gw.dicomPort);
    // Closed at accept, without a byte: nothing of the upper layer runs for them.
    const closedMs = await within(Promise.all(peers.map((p) => p.closed)), 2_000, 'every connection from 127.0.0.2 closing');
    expect(Math.max(...closedMs)).to.be.below(2_000);
    expect(peers.every((p) => p.bytes.length === 0)).to.equal(true);
    // Five lines for the address, then its refusals are counted (a flood cannot fill the log) …
    const refused = await waitFor('5 refusal lines', () => {
      const lines = log.find('association refused at connect');
      return lines.length >= 5 ? lines : undefined;
    });
    expect(refused).to.have.length(5);
    expect(refused[0]).to.include({ level: 'warn', peer: '127.0.0.2', reason: 'address not in dicom.allowedPeers' });
    // … and the count is one line when the window ends or, here, when the listener closes.
    await gw.stop();
    expect(log.find('connections refused at accept, not logged one by one').map((l) => [l.code, l.peer, l.count])).to.deep.equal([['GW_ERR_DICOM_PEER_NOT_ALLOWED', '127.0.0.2', 35]]);
    expect(log.find('association refused at connect')).to.have.length(5);
  });

  it('holds an allowed peer to dicom.maxAssociationsPerPeer slots: its idle connections do not lock out another allowed peer; past twice that, closed at accept', async () => {
    const { gw, log } = await gateway({
      maxAssociations: 4,
      maxAssociationsPerPeer: 2,
      allowedPeers: [{ aeTitle: '*', host: '127.0.0.1' }, { aeTitle: '*', host: '127.0.0.3' }],
    });
    // 127.0.0.3 is allowed but broken: it opens four connections and sends nothing on them. Two take its two
    // slots, two more wait without one; a fifth is closed at accept.
    for (let i = 0; i < 4; i++) peers.push(await RawPeer.connect(gw.dicomPort, '127.0.0.3'));
    await echoFrom(gw.dicomPort);
    const fifth = await RawPeer.connect(gw.dicomPort, '127.0.0.3');
    peers.push(fifth);
    await within(fifth.closed, 2_000, 'the fifth connection from 127.0.0.3 closing at accept');
    expect(fifth.bytes).to.have.length(0);
    expect(log.find('association refused at connect').map((l) => [l.code, l.peer])).to.deep.equal([['GW_ERR_DICOM_PEER_LIMIT', '127.0.0.3']]);
    // A connection past its share that does ask is refused, transiently, naming the per-peer setting.
    const answer = await (peers[3] as RawPeer).associate();
    expect(answer?.type).to.equal(PduType.AssociateRj);
    expect(decodeAssociateRj((answer as { body: Buffer }).body)).to.deep.equal({ result: RejectResult.Transient, source: RejectSource.ServiceProviderPresentation, reason: RejectReason.LocalLimitExceeded });
    const [line] = log.find('association rejected').filter((l) => l.peer === '127.0.0.3');
    expect(String(line?.reason)).to.match(/^too many open associations from 127\.0\.0\.3 \(dicom\.maxAssociationsPerPeer = 2\)$/);
  });

  it('aborts a peer that trickles a C-STORE dataset in whole tiny PDUs below dicom.minDataRateBytesPerSec, freeing its slot', async () => {
    const windowMs = 500;
    const { gw, log } = await gateway({ maxAssociations: 1, pduTimeoutMs: windowMs, minDataRateBytesPerSec: 2048 });
    const slow = await RawPeer.connect(gw.dicomPort);
    peers.push(slow);
    expect((await slow.associate([{ id: 1, abstractSyntax: CT_STORAGE, transferSyntaxes: [EXPLICIT_LE] }]))?.type).to.equal(PduType.AssociateAc);
    const store = encodeCommand({ commandField: CommandField.CStoreRq, messageId: 1, affectedSopClassUid: CT_STORAGE, affectedSopInstanceUid: '1.2.3.4.5', priority: 0, dataSetType: 0 });
    for (const p of encodePData(1, true, store, 65536)) slow.socket.write(p);
    const dataset = minimalDataset({ sopClassUid: CT_STORAGE, sopInstanceUid: '1.2.3.4.5', studyInstanceUid: '1.2.3.4', seriesInstanceUid: '1.2.3.4.6' });
    const started = Date.now();
    // Two dataset bytes per whole P-DATA-TF PDU, every 50 ms: each PDU completes, the idle timer never fires.
    void (async () => {
      for (let off = 0; off + 2 < dataset.length && !slow.socket.destroyed; off += 2) {
        slow.socket.write(pdataPdu(1, dataset.subarray(off, off + 2), { command: false, last: false }));
        await sleep(50);
      }
    })();
    await within(slow.closed, 3_000, 'the SCP closing the trickling association');
    expect(Date.now() - started).to.be.within(windowMs - 100, 2 * windowMs + 1_000);
    const abort = slow.pdus.find((p) => p.type === PduType.Abort);
    expect(abort === undefined ? undefined : decodeAbort(abort.body).reason).to.equal(AbortReason.NotSpecified);
    const [line] = log.find('association aborted').filter((l) => /below dicom\.minDataRateBytesPerSec = 2048/.test(String(l.reason)));
    expect(line?.code).to.equal('GW_ERR_ASSOCIATION_TIMEOUT');
    // The single slot is free again.
    await waitFor('the SCP to count the slot free', async () => (await openAssociations(gw)) === 0);
    await echoFrom(gw.dicomPort);
  });

  it('aborts a peer that trickles bytes inside one PDU when the PDU deadline passes: trickling does not reset it', async () => {
    const windowMs = 500;
    const { gw, log } = await gateway({ pduTimeoutMs: windowMs, minDataRateBytesPerSec: 0 });
    const slow = await RawPeer.connect(gw.dicomPort);
    peers.push(slow);
    expect((await slow.associate())?.type).to.equal(PduType.AssociateAc);
    const pdu = encodePData(1, true, Buffer.alloc(2000, 1), 65536)[0] as Buffer;
    const started = Date.now();
    void (async () => {
      for (let off = 0; off < pdu.length - 2 && !slow.socket.destroyed; off += 2) {
        slow.socket.write(pdu.subarray(off, off + 2));
        await sleep(50);
      }
    })();
    await within(slow.closed, 3_000, 'the SCP closing the trickling association');
    expect(Date.now() - started).to.be.within(windowMs - 100, windowMs + 1_000);
    expect(log.find('association aborted').filter((l) => /^a PDU did not arrive completely within 500 ms$/.test(String(l.reason)))).to.have.length(1);
  });

  it('aborts an A-ASSOCIATE-RQ that proposes one presentation context id twice (invalid PDU parameter value), with a log line', async () => {
    const { gw, log } = await gateway({});
    const peer = await RawPeer.connect(gw.dicomPort);
    peers.push(peer);
    const answer = await peer.associate([
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 1, abstractSyntax: CT_STORAGE, transferSyntaxes: [EXPLICIT_LE] },
    ]);
    expect(answer?.type).to.equal(PduType.Abort);
    expect(decodeAbort((answer as { body: Buffer }).body)).to.deep.equal({ source: 2, reason: AbortReason.InvalidPduParameterValue });
    await within(peer.closed, 5_000, 'the close after A-ABORT');
    const lines = log.find('association aborted').filter((l) => /presentation context id 1 is proposed twice/.test(String(l.reason)));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ code: 'GW_ERR_PDU_MALFORMED', peer: '127.0.0.1' });
  });
});
