/**
 * SCP behaviour a PACS administrator relies on: a failed C-STORE leaves the association usable, the
 * listener binds only the configured address, and /healthz says why it is unhealthy.
 */
import { expect } from 'chai';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { CommandField, decodeCommand, encodeCommand } from '../../src/dicom/dimse-command.js';
import { PduType, decodeAssociateAc, decodePData, encodeAssociateRq, encodePData } from '../../src/dicom/pdu.js';
import { PduReader, type RawPdu } from '../../src/dicom/pdu-reader.js';
import { CORPUS, runCleanups } from '../helpers/fixtures.js';
import { gatewayPerSuite } from '../helpers/gateway.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const ELE = '1.2.840.10008.1.2.1';

/** A minimal DIMSE peer on a raw socket: enough to send crafted C-STOREs and read the responses. */
class RawScu {
  private reader = new PduReader(1 << 22);
  private pdus: RawPdu[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.pdus.push(...this.reader.push(d));
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static async open(port: number): Promise<RawScu> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((r) => socket.once('connect', r));
    const scu = new RawScu(socket);
    socket.write(encodeAssociateRq({ calledAeTitle: 'AIGATEWAY', callingAeTitle: 'RAWSCU', contexts: [{ id: 1, abstractSyntax: CT, transferSyntaxes: [ELE] }, { id: 3, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }], maxPduLength: 65536 }));
    const ac = await scu.next();
    expect(ac.type).to.equal(PduType.AssociateAc);
    expect(decodeAssociateAc(ac.body).contexts.map((c) => c.result)).to.deep.equal([0, 0]);
    return scu;
  }
  async next(): Promise<RawPdu> {
    while (this.pdus.length === 0) await new Promise<void>((r) => this.waiters.push(r));
    return this.pdus.shift() as RawPdu;
  }
  async request(contextId: number, command: Parameters<typeof encodeCommand>[0], dataset?: Buffer): Promise<ReturnType<typeof decodeCommand>> {
    for (const p of encodePData(contextId, true, encodeCommand(command), 65536)) this.socket.write(p);
    if (dataset !== undefined) for (const p of encodePData(contextId, false, dataset, 65536)) this.socket.write(p);
    const rsp = await this.next();
    expect(rsp.type).to.equal(PduType.PData);
    return decodeCommand(Buffer.concat(decodePData(rsp.body).map((p) => p.data)));
  }
}

/** CT_small's dataset bytes (Explicit VR LE) after its File Meta Information. */
function ctSmallDataset(): { bytes: Buffer; sopInstanceUid: string } {
  const file = readFileSync(join(CORPUS, 'dicom', 'pydicom__CT_small.dcm'));
  const metaEnd = 144 + file.readUInt32LE(140);
  return { bytes: file.subarray(metaEnd), sopInstanceUid: '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322' };
}

describe('socket: SCP behaviour', function () {
  this.timeout(30_000);
  const gw = gatewayPerSuite();

  it('answers a mismatched C-STORE with A900 and keeps the association usable for the next one', async () => {
    const scu = await RawScu.open(gw().dicomPort);
    const { bytes, sopInstanceUid } = ctSmallDataset();
    const wrong = await scu.request(1, { commandField: CommandField.CStoreRq, messageId: 1, affectedSopClassUid: CT, affectedSopInstanceUid: '1.2.3.4', priority: 0, dataSetType: 0 }, bytes);
    expect(wrong.status).to.equal(0xa900);
    expect(wrong.errorComment).to.match(/differ/);
    const right = await scu.request(1, { commandField: CommandField.CStoreRq, messageId: 2, affectedSopClassUid: CT, affectedSopInstanceUid: sopInstanceUid, priority: 0, dataSetType: 0 }, bytes);
    expect(right.status).to.equal(0x0000);
    expect(right.messageIdBeingRespondedTo).to.equal(2);
    const echo = await scu.request(3, { commandField: CommandField.CEchoRq, messageId: 3, affectedSopClassUid: '1.2.840.10008.1.1', dataSetType: 0x0101 });
    expect(echo.status).to.equal(0);
    scu.socket.destroy();
  });

  it('refuses a C-STORE whose dataset cannot be parsed with C000, and one with a bad UID before it touches a path', async () => {
    const scu = await RawScu.open(gw().dicomPort);
    const garbage = await scu.request(1, { commandField: CommandField.CStoreRq, messageId: 1, affectedSopClassUid: CT, affectedSopInstanceUid: '1.2.3.4', priority: 0, dataSetType: 0 }, Buffer.from('definitely not a dataset'));
    expect(garbage.status).to.equal(0xc000);
    const traversal = await scu.request(1, { commandField: CommandField.CStoreRq, messageId: 2, affectedSopClassUid: CT, affectedSopInstanceUid: '../../../etc/x', priority: 0, dataSetType: 0 }, Buffer.alloc(16));
    expect(traversal.status).to.equal(0xc000);
    scu.socket.destroy();
  });

  it('listens only on the configured address', async () => {
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.2', port: gw().dicomPort });
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    expect(refused).to.equal(true);
  });

  it('/healthz turns 503 with the reason when the spool is not writable, and 200 again once fixed', async () => {
    const tmp = join(gw().dataDir, 'spool', '.tmp');
    expect((await gw().getJson('/healthz')).status).to.equal(200);
    rmSync(tmp, { recursive: true });
    writeFileSync(tmp, 'in the way'); // as root, permissions would not stop us: a file where a folder should be does
    const bad = await gw().getJson<{ ok: boolean; checks: { spool: { ok: boolean; detail: string } } }>('/healthz');
    expect(bad.status).to.equal(503);
    expect(bad.body.checks.spool.detail).to.match(/ENOTDIR|not a directory/i);
    rmSync(tmp);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(tmp);
    expect((await gw().getJson('/healthz')).status).to.equal(200);
  });
});
