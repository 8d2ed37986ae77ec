import { expect } from 'chai';
import { buildHl7Message } from '../../../src/hl7/builder.js';
import { encodeHl7Text } from '../../../src/hl7/charset.js';
import { readMessageBytes } from '../../../src/hl7/inbound.js';

describe('hl7/builder', () => {
  const header = {
    sendingApplication: ['AIGATEWAY', '1.2.3.4', 'ISO'],
    sendingFacility: 'RAD',
    receivingApplication: 'RIS',
    receivingFacility: 'HOSP',
    messageType: { code: 'ORU', trigger: 'R01', structure: 'ORU_R01' },
    controlId: 'G1234567890A0001',
    timestamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    acceptAckType: 'AL',
    applicationAckType: 'NE',
  } as const;
  const tricky = 'Nodule | 8^mm & more ~ see \\ prior\nline 2 — 肺结节';

  it('round-trips: build → encode → parse gives back every value', () => {
    const text = buildHl7Message(header, [
      { name: 'PID', fields: ['1', undefined, { repetitions: [['123', '', '', 'MRN'], ['456', '', '', ['NATIONAL', '2.16.840.1.113883.4.1', 'ISO']]] }] },
      { name: 'OBR', fields: ['1', undefined, 'ACC-1', ['71020', 'CHEST 2 VIEWS', 'CPT']] },
      { name: 'OBX', fields: ['1', 'TX', ['FINDING', 'AI finding'], undefined, tricky, undefined, undefined, 'A', undefined, undefined, 'F'] },
      { name: 'NTE', fields: [] },
    ]);
    expect(text.endsWith('\r')).to.equal(true);
    const item = readMessageBytes(encodeHl7Text(text, 'utf-8') as Buffer);
    if (item.kind !== 'message') throw new Error(item.problem.detail);
    const m = item.message;
    expect(m.controlId).to.equal('G1234567890A0001');
    expect(m.messageType).to.deep.equal({ code: 'ORU', trigger: 'R01', structure: 'ORU_R01' });
    expect(m.field('MSH', 3, { component: 2 })).to.equal('1.2.3.4');
    expect(m.field('MSH', 7)).to.equal('20260102030405+0000');
    expect([m.acceptAckType, m.applicationAckType, m.version, m.field('MSH', 18)]).to.deep.equal(['AL', 'NE', '2.5.1', 'UNICODE UTF-8']);
    expect(m.field('PID', 3, { repetition: 2, component: 4, subcomponent: 2 })).to.equal('2.16.840.1.113883.4.1');
    expect(m.field('OBR', 4, { component: 2 })).to.equal('CHEST 2 VIEWS');
    expect(m.field('OBX', 5)).to.equal(tricky);
    expect(m.field('OBX', 8)).to.equal('A');
    expect(m.field('OBX', 11)).to.equal('F');
    expect(m.segments().map((s) => s.name)).to.deep.equal(['MSH', 'PID', 'OBR', 'OBX', 'NTE']);
  });

  it('escapes every delimiter so no value can add a field, segment or MLLP byte', () => {
    const text = buildHl7Message(header, [{ name: 'OBX', fields: ['1', 'ST', 'X', undefined, 'a|b\rc\x1cd\x0b'] }]);
    expect(text.split('\r')).to.have.length(3);
    expect(text.split('\r')[1]?.split('|')).to.have.length(6);
    expect(/[\x0b\x1c]/.test(text)).to.equal(false);
  });
});
