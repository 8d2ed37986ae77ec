import { expect } from 'chai';
import { GatewayError } from '../../../src/errors.js';
import {
  PduType,
  decodeAssociateAc,
  decodeAssociateRq,
  decodePData,
  encodeAssociateAc,
  encodeAssociateRq,
  encodePData,
} from '../../../src/dicom/pdu.js';
import { PduReader } from '../../../src/dicom/pdu-reader.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const ELE = '1.2.840.10008.1.2.1';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof GatewayError ? err.code : 'not-a-gateway-error';
  }
  return undefined;
}

describe('dicom/pdu', () => {
  it('round-trips an A-ASSOCIATE-RQ with contexts, max PDU and role selection', () => {
    const bytes = encodeAssociateRq({
      calledAeTitle: 'AIGATEWAY',
      callingAeTitle: 'PACS',
      contexts: [{ id: 1, abstractSyntax: CT, transferSyntaxes: [ELE, '1.2.840.10008.1.2'] }],
      maxPduLength: 16384,
      roles: [{ sopClassUid: CT, scuRole: 1, scpRole: 0 }],
    });
    expect(bytes[0]).to.equal(PduType.AssociateRq);
    const rq = decodeAssociateRq(bytes.subarray(6));
    expect(rq.calledAeTitle).to.equal('AIGATEWAY');
    expect(rq.callingAeTitle).to.equal('PACS');
    expect(rq.maxPduLength).to.equal(16384);
    expect(rq.contexts).to.deep.equal([{ id: 1, abstractSyntax: CT, transferSyntaxes: [ELE, '1.2.840.10008.1.2'] }]);
    expect(rq.roles).to.deep.equal([{ sopClassUid: CT, scuRole: 1, scpRole: 0 }]);
  });

  it('round-trips an A-ASSOCIATE-AC', () => {
    const bytes = encodeAssociateAc({
      calledAeTitle: 'AIGATEWAY',
      callingAeTitle: 'PACS',
      contexts: [{ id: 3, result: 0, transferSyntax: ELE }],
      maxPduLength: 262144,
      roles: [],
    });
    const ac = decodeAssociateAc(bytes.subarray(6));
    expect(ac.contexts).to.deep.equal([{ id: 3, result: 0, transferSyntax: ELE }]);
    expect(ac.maxPduLength).to.equal(262144);
  });

  it('refuses an A-ASSOCIATE-RQ whose calling AE title is blank or holds a backslash or control character', () => {
    for (const bad of ['                ', 'PA\\CS', 'PA\x01CS']) {
      const bytes = Buffer.from(encodeAssociateRq({ calledAeTitle: 'A', callingAeTitle: 'B', contexts: [{ id: 1, abstractSyntax: CT, transferSyntaxes: [ELE] }], maxPduLength: 0 }));
      bytes.fill(0x20, 6 + 20, 6 + 36).write(bad, 6 + 20, 'latin1');
      expect(codeOf(() => decodeAssociateRq(bytes.subarray(6))), JSON.stringify(bad)).to.equal('GW_ERR_PDU_MALFORMED');
    }
  });

  it('rejects an A-ASSOCIATE-RQ whose item length runs past the PDU', () => {
    const bytes = Buffer.from(encodeAssociateRq({ calledAeTitle: 'A', callingAeTitle: 'B', contexts: [{ id: 1, abstractSyntax: CT, transferSyntaxes: [ELE] }], maxPduLength: 0 }));
    bytes.writeUInt16BE(0xfff0, 6 + 68 + 2); // application context item length
    expect(codeOf(() => decodeAssociateRq(bytes.subarray(6)))).to.equal('GW_ERR_PDU_MALFORMED');
  });

  it('rejects an A-ASSOCIATE-RQ without presentation contexts or with an even context id', () => {
    const none = encodeAssociateRq({ calledAeTitle: 'A', callingAeTitle: 'B', contexts: [], maxPduLength: 0 });
    expect(codeOf(() => decodeAssociateRq(none.subarray(6)))).to.equal('GW_ERR_PDU_MALFORMED');
    const even = encodeAssociateRq({ calledAeTitle: 'A', callingAeTitle: 'B', contexts: [{ id: 2, abstractSyntax: CT, transferSyntaxes: [ELE] }], maxPduLength: 0 });
    expect(codeOf(() => decodeAssociateRq(even.subarray(6)))).to.equal('GW_ERR_PDU_MALFORMED');
  });

  it('rejects an A-ASSOCIATE-RQ that proposes the same presentation context id twice, naming the id', () => {
    const contexts = [
      { id: 1, abstractSyntax: CT, transferSyntaxes: [ELE] },
      { id: 3, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: [ELE] },
      { id: 1, abstractSyntax: '1.2.840.10008.5.1.4.1.1.4', transferSyntaxes: [ELE] },
    ];
    const twice = encodeAssociateRq({ calledAeTitle: 'A', callingAeTitle: 'B', contexts, maxPduLength: 0 });
    expect(codeOf(() => decodeAssociateRq(twice.subarray(6)))).to.equal('GW_ERR_PDU_MALFORMED');
    expect(() => decodeAssociateRq(twice.subarray(6))).to.throw(/presentation context id 1 is proposed twice/);
  });

  it('fragments a message into P-DATA PDUs within the peer max and reassembles it', () => {
    const data = Buffer.alloc(40_000, 7);
    const pdus = encodePData(5, false, data, 16384);
    expect(pdus.length).to.equal(3);
    for (const p of pdus) expect(p.readUInt32BE(2)).to.be.at.most(16384);
    const pdvs = pdus.flatMap((p) => decodePData(p.subarray(6)));
    expect(pdvs.map((p) => p.isLast)).to.deep.equal([false, false, true]);
    expect(Buffer.concat(pdvs.map((p) => p.data)).equals(data)).to.equal(true);
  });
});

describe('dicom/pdu-reader', () => {
  it('reassembles PDUs split at every byte and several PDUs in one chunk', () => {
    const pdus = [...encodePData(1, true, Buffer.from('abc'), 0), ...encodePData(1, false, Buffer.alloc(1000, 1), 0)];
    const stream = Buffer.concat(pdus);
    const reader = new PduReader(4096);
    const out = [];
    for (let i = 0; i < stream.length; i++) out.push(...reader.push(stream.subarray(i, i + 1)));
    expect(out.map((p) => p.body.length)).to.deep.equal([9, 1006]);
    const again = new PduReader(4096).push(stream);
    expect(again.length).to.equal(2);
  });

  it('refuses a PDU longer than the limit from its header alone (a 4 GiB claim buffers nothing)', () => {
    const header = Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xff]);
    const reader = new PduReader(256 * 1024);
    expect(codeOf(() => reader.push(header))).to.equal('GW_ERR_PDU_TOO_LARGE');
  });

  it('refuses an unknown PDU type', () => {
    expect(codeOf(() => new PduReader(1024).push(Buffer.from('GET / HTTP/1.1\r\n')))).to.equal('GW_ERR_PDU_MALFORMED');
  });

  it('reports midPdu while a PDU is incomplete', () => {
    const reader = new PduReader(1024);
    reader.push(Buffer.from([0x04, 0, 0, 0]));
    expect(reader.midPdu).to.equal(true);
    reader.push(Buffer.from([0, 0]));
    expect(reader.midPdu).to.equal(false);
  });
});

describe('dicom/pdu fragment sizes', () => {
  it('keeps P-DATA fragments even and within an odd peer maximum', () => {
    const pdus = encodePData(1, false, Buffer.alloc(50_000), 16385);
    for (const p of pdus.slice(0, -1)) {
      expect(p.readUInt32BE(2)).to.be.at.most(16385);
      expect((p.length - 12) % 2).to.equal(0);
    }
  });
});
