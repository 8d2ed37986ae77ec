import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ackCodeFor, buildAck, buildBatchAck, readAck } from '../../../src/hl7/ack.js';
import { createControlIdGenerator } from '../../../src/hl7/control-id.js';
import { readFrame, readMessageBytes, readWireHeader, type WireHeader } from '../../../src/hl7/inbound.js';
import { parseHl7Message, type ParsedHl7Message } from '../../../src/hl7/message.js';
import { CORPUS } from '../../helpers/fixtures.js';

const NOW = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

function header(line: string): WireHeader {
  const h = readWireHeader(line);
  if (h === undefined) throw new Error('no header');
  return h;
}

function parseWire(wire: string): ParsedHl7Message {
  const item = readMessageBytes(Buffer.from(wire, 'latin1'));
  if (item.kind !== 'message') throw new Error(item.problem.detail);
  return item.message;
}

describe('hl7/ack', () => {
  const received = header('MSH|^~\\&|RIS^1.2.3^ISO|RADIOLOGY|GW|HOSP|20260101||ORU^R01^ORU_R01|MSG-42|P|2.3.1||||||UNICODE UTF-8');

  it('builds AA from the received header: apps swapped, ACK^trigger^ACK, MSA-2 = MSH-10, version and charset echoed', () => {
    const ack = parseWire(buildAck(received, { code: 'AA' }, { controlId: 'ACK-1', now: NOW, encoding: 'utf-8' }));
    expect(ack.field('MSH', 3)).to.equal('GW');
    expect(ack.field('MSH', 4)).to.equal('HOSP');
    expect(ack.field('MSH', 5, { component: 2 })).to.equal('1.2.3');
    expect(ack.field('MSH', 6)).to.equal('RADIOLOGY');
    expect(ack.field('MSH', 7)).to.equal('20260102030405+0000');
    expect(ack.messageType).to.deep.equal({ code: 'ACK', trigger: 'R01', structure: 'ACK' });
    expect(ack.controlId).to.equal('ACK-1');
    expect(ack.version).to.equal('2.3.1');
    expect(ack.field('MSH', 18)).to.equal('UNICODE UTF-8');
    expect(readAck(ack)).to.deep.equal({ code: 'AA', acknowledgedControlId: 'MSG-42', text: '', conditions: [] });
  });

  it('writes ERR with ERR-1 (v2.3), ERR-2 location, ERR-3 table 0357 code, ERR-4 severity, ERR-5 and ERR-8', () => {
    const wire = buildAck(
      received,
      { code: 'AR', text: 'rejected', error: { condition: '101', location: { segment: 'MSH', sequence: 1, field: 10 }, userMessage: 'MSH-10 | is empty', applicationCode: 'GW_ERR_HL7_REQUIRED_FIELD' } },
      { controlId: 'ACK-2', now: NOW, encoding: 'utf-8' },
    );
    const ack = parseWire(wire);
    const err = ack.segment('ERR');
    expect(err?.field(1)).to.equal('MSH');
    expect(err?.field(1, { component: 4, subcomponent: 1 })).to.equal('101');
    expect(err?.field(2, { component: 3 })).to.equal('10');
    expect([err?.field(3), err?.field(3, { component: 2 }), err?.field(3, { component: 3 })]).to.deep.equal(['101', 'Required field missing', 'HL70357']);
    expect(err?.field(4)).to.equal('E');
    expect(err?.field(5)).to.equal('GW_ERR_HL7_REQUIRED_FIELD');
    expect(err?.field(8)).to.equal('MSH-10 | is empty');
    expect(readAck(ack)).to.deep.include({ code: 'AR', acknowledgedControlId: 'MSG-42', conditions: ['101'] });
  });

  it('echoes the sender’s delimiters and raw bytes, so a latin-1 header comes back in latin-1', () => {
    const latin = header('MSH#$%@*#K\xfcche#H#GW#H#2026##ORU$R01#X@F@1#P#2.5######8859/1');
    const wire = buildAck(latin, { code: 'AE', error: { condition: '207', userMessage: 'Prüfung fehlgeschlagen' } }, { controlId: 'A3', now: NOW, encoding: 'windows-1252' });
    const bytes = Buffer.from(wire, 'latin1');
    expect(bytes.subarray(0, 8).toString('latin1')).to.equal('MSH#$%@*');
    expect(bytes.includes(Buffer.from('K\xfcche', 'latin1'))).to.equal(true);
    expect(bytes.includes(Buffer.from('Pr\xfcfung', 'latin1'))).to.equal(true);
    const ack = parseWire(wire);
    expect(ack.field('MSH', 5)).to.equal('Küche');
    expect(ack.field('MSA', 2)).to.equal('X#1');
  });

  it('answers unreadable input with default delimiters and an empty MSA-2', () => {
    const ack = parseWire(buildAck(undefined, { code: 'AR', error: { condition: '100', userMessage: 'not HL7' } }, { controlId: 'A4', now: NOW }));
    expect(ack.messageType.code).to.equal('ACK');
    expect(readAck(ack)).to.deep.include({ code: 'AR', acknowledgedControlId: '', conditions: ['100'] });
  });

  it('honours MSH-15: original mode always answers; AL/NE/ER/SU choose the accept ACK', () => {
    expect([ackCodeFor('AA', undefined), ackCodeFor('AE', undefined), ackCodeFor('AR', undefined)]).to.deep.equal(['AA', 'AE', 'AR']);
    expect([ackCodeFor('AA', 'AL'), ackCodeFor('AE', 'AL'), ackCodeFor('AR', 'AL')]).to.deep.equal(['CA', 'CE', 'CR']);
    expect([ackCodeFor('AA', 'NE'), ackCodeFor('AR', 'NE')]).to.deep.equal([undefined, undefined]);
    expect([ackCodeFor('AA', 'ER'), ackCodeFor('AE', 'ER')]).to.deep.equal([undefined, 'CE']);
    expect([ackCodeFor('AA', 'SU'), ackCodeFor('AR', 'SU')]).to.deep.equal(['CA', undefined]);
  });

  it('makes control ids that never repeat, fit MSH-10 (≤ 20) and are not timestamps', () => {
    const ids = createControlIdGenerator();
    const seen = new Set(Array.from({ length: 10_000 }, () => ids.next()));
    expect(seen.size).to.equal(10_000);
    for (const id of [...seen].slice(0, 5)) expect(id).to.match(/^G[0-9A-F]{10}[0-9A-Z]{4,}$/);
    expect(Math.max(...[...seen].map((s) => s.length))).to.be.at.most(20);
    expect(createControlIdGenerator().next()).to.not.equal(createControlIdGenerator().next());
  });

  it('reads a v2.3-style ACK with ERR-1 (hl7-standard corpus file)', () => {
    const item = readMessageBytes(readFileSync(join(CORPUS, 'hl7', 'hl7-standard__message2_ACK_AR_ERR.hl7')));
    const ack = item.kind === 'message' ? readAck(item.message) : undefined;
    expect(ack?.code).to.equal('AR');
    expect(ack?.conditions).to.include('207');
    expect(ack?.text).to.contain('Not logged in');
  });

  it('wraps a batch’s ACKs in FHS/BHS … BTS/FTS referencing the received control ids', () => {
    const frame = readFrame(Buffer.from('FHS|^~\\&|RIS|H|GW|H|2026||||F-1\rBHS|^~\\&|RIS|H|GW|H|2026||||B-1\rMSH|^~\\&|RIS|H|GW|H|2026||ORU^R01|M1|P|2.5\rBTS|1\rFTS|1\r'));
    const first = frame.items[0];
    const ack = buildAck(first?.kind === 'message' ? first.header : undefined, { code: 'AA' }, { controlId: 'A1', now: NOW });
    const ids = createControlIdGenerator('T');
    const lines = buildBatchAck(frame.batch ?? {}, [ack], { nextControlId: () => ids.next(), now: NOW }).split('\r');
    expect(lines.map((l) => l.slice(0, 3))).to.deep.equal(['FHS', 'BHS', 'MSH', 'MSA', 'BTS', 'FTS', '']);
    expect(lines[0]?.split('|').slice(10, 12)).to.deep.equal(['T0001', 'F-1']);
    expect(lines[1]?.split('|').slice(10, 12)).to.deep.equal(['T0002', 'B-1']);
    expect(lines[4]).to.equal('BTS|1');
    expect(parseHl7Message(lines.slice(2, 4).join('\r')).ok).to.equal(true);
  });
});
