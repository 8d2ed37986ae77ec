/**
 * What the SCP refuses in a C-STORE dataset it can see cheaply while reading its header (issue 15, D5 and the
 * minor findings): a deflate bomb, a NUL inside a UID, an element running past the end of the dataset. Each gets
 * C000 with an Error Comment naming the cause, nothing is stored, and the association and the SCP keep serving.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CommandField, Status, type DimseCommand } from '../../src/dicom/dimse-command.js';
import { PduType } from '../../src/dicom/pdu.js';
import { listFiles, runCleanups } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { deflatedWithZeros, elementHeader, minimalDataset, privateZerosHeader, sopElements, studySeriesElements, type Identifiers } from '../helpers/crafted-dataset.js';
import { CT_STORAGE, DEFLATED_LE, EXPLICIT_LE, IMPLICIT_LE, RawPeer, VERIFICATION, within } from '../helpers/raw-dicom.js';

const CONTEXTS = [
  { id: 1, abstractSyntax: CT_STORAGE, transferSyntaxes: [DEFLATED_LE] },
  { id: 3, abstractSyntax: CT_STORAGE, transferSyntaxes: [EXPLICIT_LE] },
  { id: 5, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
];

function ids(n: number): Identifiers {
  return { sopClassUid: CT_STORAGE, sopInstanceUid: `1.2.826.0.1.3680043.15.${n}`, studyInstanceUid: '1.2.826.0.1.3680043.15.100', seriesInstanceUid: '1.2.826.0.1.3680043.15.101' };
}

function storeRq(messageId: number, sopInstanceUid: string): DimseCommand {
  return { commandField: CommandField.CStoreRq, messageId, affectedSopClassUid: CT_STORAGE, affectedSopInstanceUid: sopInstanceUid, priority: 0, dataSetType: 0 };
}

describe('socket: SCP dataset checks', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  let peer: RawPeer;
  before(async () => {
    gw = await startGateway({ hl7: { enabled: false } });
  });
  beforeEach(async () => {
    peer = await RawPeer.connect(gw.dicomPort);
    expect((await peer.associate(CONTEXTS))?.type).to.equal(PduType.AssociateAc);
  });
  afterEach(() => peer.socket.destroy());
  after(async () => {
    await gw?.stop();
    runCleanups();
  });

  /** Spool files (not temp files) under the study of `ids()`. */
  function storedFiles(): string[] {
    const dir = join(gw.dataDir, 'spool', ids(0).studyInstanceUid);
    return existsSync(dir) ? listFiles(dir) : [];
  }

  it('answers a 256 MiB deflate bomb with C000 naming the inflation limit (Error Comment: 64 characters), stores nothing, and keeps C-ECHO prompt', async () => {
    const id = ids(1);
    const bomb = deflatedWithZeros(Buffer.concat([sopElements(id), privateZerosHeader(256)]), 256, studySeriesElements(id));
    expect(bomb.length).to.be.below(2 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    // A second association's C-ECHO, sent while the bomb is being read, must not wait for it.
    const other = await RawPeer.connect(gw.dicomPort);
    expect((await other.associate())?.type).to.equal(PduType.AssociateAc);
    const stored = peer.request(1, storeRq(1, id.sopInstanceUid), bomb);
    const echoStarted = Date.now();
    expect(await other.echo()).to.equal(Status.Success);
    const echoMs = Date.now() - echoStarted;
    const rsp = await within(stored, 20_000, 'the C-STORE response');
    expect(rsp.status).to.equal(Status.CannotUnderstand);
    expect(rsp.errorComment).to.match(/^cannot read the dataset: inflated past 4 MiB before its UIDs/);
    expect(echoMs, 'C-ECHO round trip during the bomb').to.be.below(1_000);
    expect(process.memoryUsage().rss - rssBefore, 'RSS growth').to.be.below(256 * 1024 * 1024);
    expect(storedFiles()).to.deep.equal([]);
    expect(await peer.echo(5)).to.equal(Status.Success);
    other.socket.destroy();
  });

  it('answers a dataset whose Study Instance UID has a NUL inside with C000 naming it, never storing it under a truncated UID', async () => {
    const id = { ...ids(2), studyInstanceUid: `${ids(0).studyInstanceUid}\u0000.7` };
    const rsp = await peer.request(3, storeRq(2, id.sopInstanceUid), minimalDataset(id));
    expect(rsp.status).to.equal(Status.CannotUnderstand);
    expect(rsp.errorComment).to.match(/^cannot read the dataset: \(0020,000D\) Study Instance UID has NUL/);
    expect(storedFiles()).to.deep.equal([]);
  });

  it('answers a dataset with an element running past its end, after the identifying attributes, with C000', async () => {
    const id = ids(3);
    const malformed = Buffer.concat([minimalDataset(id), elementHeader(0x0020, 0x0013, 'IS', 400), Buffer.from('12')]);
    const rsp = await peer.request(3, storeRq(3, id.sopInstanceUid), malformed);
    expect(rsp.status).to.equal(Status.CannotUnderstand);
    expect(rsp.errorComment).to.match(/^cannot read the dataset: \(0020,0013\) runs past the dataset end/);
    expect(storedFiles()).to.deep.equal([]);
    // The well-formed dataset is stored: the checks refuse only what they name.
    const good = await peer.request(3, storeRq(4, id.sopInstanceUid), minimalDataset(id));
    expect(good.status).to.equal(Status.Success);
    expect(storedFiles().map((f) => f.endsWith(`${id.sopInstanceUid}.dcm`))).to.deep.equal([true]);
  });
});
