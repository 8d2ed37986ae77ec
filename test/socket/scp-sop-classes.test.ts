/**
 * Which presentation contexts the SCP accepts (issue 12, part 6): storage SOP classes from the generated table of
 * PS3.4 Table B.5-1, never a UID prefix, so UPS and RT machine verification (both under 1.2.840.10008.5.1.4.34.)
 * get result 3 in the same A-ASSOCIATE-AC that accepts CT; the refusals cost one log line per association; and the
 * max PDU length the A-ASSOCIATE-AC announces is the limit the SCP enforces, also below 128 KiB.
 */
import { expect } from 'chai';
import { CommandField, Status, decodeCommand, encodeCommand } from '../../src/dicom/dimse-command.js';
import { AbortReason, PduType, PresentationResult, decodeAbort, decodeAssociateAc, decodePData, encodePData, type ProposedContext } from '../../src/dicom/pdu.js';
import { runCleanups } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { element, minimalDataset } from '../helpers/crafted-dataset.js';
import { CT_STORAGE, EXPLICIT_LE, IMPLICIT_LE, RawPeer, VERIFICATION, within } from '../helpers/raw-dicom.js';
import { captureLog, type CapturedLog } from '../helpers/tls.js';

const UPS_PUSH = '1.2.840.10008.5.1.4.34.6.1';
const UPS_WATCH = '1.2.840.10008.5.1.4.34.6.2';
const RT_CONVENTIONAL_MACHINE_VERIFICATION = '1.2.840.10008.5.1.4.34.8';
const RT_ION_MACHINE_VERIFICATION = '1.2.840.10008.5.1.4.34.9';
const HANGING_PROTOCOL_STORAGE = '1.2.840.10008.5.1.4.38.1';
const NM_IMAGE_RETIRED = '1.2.840.10008.5.1.4.1.1.5';
const MAX_PDU = 16_384;

function ctStore(sopInstanceUid: string, messageId: number): Buffer {
  return encodeCommand({ commandField: CommandField.CStoreRq, messageId, affectedSopClassUid: CT_STORAGE, affectedSopInstanceUid: sopInstanceUid, priority: 0, dataSetType: 0 });
}

/** A CT dataset of about `pixelBytes` bytes: the identifying UIDs, then Pixel Data. */
function ctDataset(sopInstanceUid: string, pixelBytes: number): Buffer {
  const ids = { sopClassUid: CT_STORAGE, sopInstanceUid, studyInstanceUid: '1.2.826.0.1.3680043.10.1078.1', seriesInstanceUid: '1.2.826.0.1.3680043.10.1078.1.1' };
  return Buffer.concat([minimalDataset(ids), element(0x7fe0, 0x0010, 'OB', Buffer.alloc(pixelBytes, 0x11))]);
}

describe('socket: SCP presentation contexts by SOP class', function () {
  this.timeout(30_000);
  let gw: TestGateway;
  let log: CapturedLog;
  const peers: RawPeer[] = [];
  before(async () => {
    log = captureLog();
    gw = await startGateway({ dicom: { maxPduBytes: MAX_PDU } }, log.log);
  });
  afterEach(() => {
    for (const p of peers.splice(0)) p.socket.destroy();
  });
  after(async () => {
    await gw.stop();
    runCleanups();
  });

  async function associate(contexts: ProposedContext[]): Promise<{ peer: RawPeer; results: Record<number, number>; maxPduLength: number }> {
    const peer = await RawPeer.connect(gw.dicomPort);
    peers.push(peer);
    const ac = await peer.associate(contexts);
    expect(ac?.type).to.equal(PduType.AssociateAc);
    const decoded = decodeAssociateAc((ac as { body: Buffer }).body);
    return { peer, results: Object.fromEntries(decoded.contexts.map((c) => [c.id, c.result])), maxPduLength: decoded.maxPduLength };
  }

  /** The 'presentation contexts refused' lines logged since `before` lines. */
  function refusalLines(before: number): Array<Record<string, unknown>> {
    return log.find('presentation contexts refused').slice(before);
  }

  it('answers UPS and RT machine verification with result 3 and stores CT on the same association', async () => {
    const before = log.find('presentation contexts refused').length;
    const { peer, results } = await associate([
      { id: 1, abstractSyntax: CT_STORAGE, transferSyntaxes: [EXPLICIT_LE] },
      { id: 3, abstractSyntax: UPS_PUSH, transferSyntaxes: [IMPLICIT_LE] },
      { id: 5, abstractSyntax: RT_CONVENTIONAL_MACHINE_VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 7, abstractSyntax: RT_ION_MACHINE_VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 9, abstractSyntax: HANGING_PROTOCOL_STORAGE, transferSyntaxes: [EXPLICIT_LE] },
      { id: 11, abstractSyntax: UPS_PUSH, transferSyntaxes: [EXPLICIT_LE] },
      { id: 13, abstractSyntax: NM_IMAGE_RETIRED, transferSyntaxes: [EXPLICIT_LE] },
      { id: 15, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
    ]);
    const refused = PresentationResult.AbstractSyntaxNotSupported;
    expect(results).to.deep.equal({ 1: 0, 3: refused, 5: refused, 7: refused, 9: refused, 11: refused, 13: 0, 15: 0 });

    const sop = '1.2.826.0.1.3680043.10.1078.1.1.1';
    const stored = await peer.request(1, { commandField: CommandField.CStoreRq, messageId: 3, affectedSopClassUid: CT_STORAGE, affectedSopInstanceUid: sop, priority: 0, dataSetType: 0 }, ctDataset(sop, 64));
    expect(stored.status).to.equal(Status.Success);
    expect(await peer.echo(15)).to.equal(Status.Success);
    await within(peer.release(), 5_000, 'the release');

    // One line for the association, naming each refused class once.
    const lines = refusalLines(before);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.deep.include({
      level: 'info',
      callingAe: 'RAWPEER',
      abstractSyntaxNotSupported: `${UPS_PUSH} ${RT_CONVENTIONAL_MACHINE_VERIFICATION} ${RT_ION_MACHINE_VERIFICATION} ${HANGING_PROTOCOL_STORAGE}`,
      transferSyntaxesNotSupported: '',
      contextsRefused: 5,
    });
  });

  it('logs a peer proposing many unsupported classes once, listing ten and counting the rest', async () => {
    const before = log.find('presentation contexts refused').length;
    const contexts: ProposedContext[] = [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }];
    for (let i = 0; i < 40; i++) contexts.push({ id: 3 + 2 * i, abstractSyntax: i % 2 === 0 ? `${UPS_WATCH}.${i}` : `1.2.840.10008.5.1.4.1.2.${i}.1`, transferSyntaxes: [IMPLICIT_LE] });
    const { peer, results } = await associate(contexts);
    expect(Object.values(results).filter((r) => r === PresentationResult.AbstractSyntaxNotSupported)).to.have.length(40);
    await within(peer.release(), 5_000, 'the release');
    const lines = refusalLines(before);
    expect(lines).to.have.length(1);
    expect(String(lines[0]?.abstractSyntaxNotSupported)).to.match(/ \(\+30 more\)$/);
    expect(lines[0]?.contextsRefused).to.equal(40);
  });

  it('announces dicom.maxPduBytes and enforces exactly that: a PDU of that size is taken, one byte more aborts', async () => {
    const { peer, results, maxPduLength } = await associate([{ id: 1, abstractSyntax: CT_STORAGE, transferSyntaxes: [EXPLICIT_LE] }]);
    expect(results[1]).to.equal(0);
    expect(maxPduLength).to.equal(MAX_PDU);

    // PDUs of exactly the announced length (encodePData fills each to maxPduLength).
    const sop = '1.2.826.0.1.3680043.10.1078.1.1.2';
    const dataset = ctDataset(sop, 3 * MAX_PDU);
    const pdus = encodePData(1, false, dataset, MAX_PDU);
    expect((pdus[0] as Buffer).readUInt32BE(2)).to.equal(MAX_PDU);
    for (const p of encodePData(1, true, ctStore(sop, 5), MAX_PDU)) peer.socket.write(p);
    for (const p of pdus) peer.socket.write(p);
    const rsp = await peer.next();
    expect(rsp?.type).to.equal(PduType.PData);
    expect(decodeCommand(Buffer.concat(decodePData((rsp as { body: Buffer }).body).map((p) => p.data))).status).to.equal(Status.Success);

    // One byte over: refused from its header (below the 128 KiB bound that A-ASSOCIATE-RQs get).
    const over = Buffer.alloc(6 + MAX_PDU + 1);
    over.writeUInt8(PduType.PData, 0);
    over.writeUInt32BE(MAX_PDU + 1, 2);
    peer.socket.write(over);
    const abort = await peer.next();
    expect(abort?.type).to.equal(PduType.Abort);
    expect(decodeAbort((abort as { body: Buffer }).body).reason).to.equal(AbortReason.InvalidPduParameterValue);
    await within(peer.closed, 5_000, 'the SCP closing the association');
    expect(log.find('association aborted').filter((l) => l.code === 'GW_ERR_PDU_TOO_LARGE' && String(l.reason).includes(`limit of ${MAX_PDU} bytes`))).to.have.length(1);
  });
});
