import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFrame, readMessageBytes, type InboundItem } from '../../../src/hl7/inbound.js';
import { parseHl7Message, type ParsedHl7Message } from '../../../src/hl7/message.js';
import { CORPUS } from '../../helpers/fixtures.js';

const ORU = [
  'MSH|^~\\&|RIS|HOSP|GW|HOSP|20260101120000||ORU^R01^ORU_R01|CTRL-1|P|2.5.1|||AL|NE||UNICODE UTF-8',
  'PID|1||123^^^MRN~456^^^NATIONAL&2.16.840.1.113883.4.1&ISO||Müller^Anna',
  'OBR|1|PLAC-9|ACC-77|71020^CHEST XRAY 2 VIEWS^CPT',
  'OBX|1|TX|REPORT^Report||FINDINGS:\\.br\\No focal \\H\\consolidation\\N\\. Size 3\\T\\4 cm \\F\\ stable.||||||F',
  'OBX|2|TX|REPORT^Report||IMPRESSION: normal||||||F',
].join('\r');

function parsed(text: string): ParsedHl7Message {
  const r = parseHl7Message(text);
  if (!r.ok) throw new Error(`${r.problem.code}: ${r.problem.detail}`);
  return r.message;
}

function message(item: InboundItem | undefined): ParsedHl7Message {
  if (item?.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(item)}`);
  return item.message;
}

const corpus = (name: string): Buffer => readFileSync(join(CORPUS, 'hl7', name));

describe('hl7/message', () => {
  it('reads header facts: MSH-9 parts, MSH-10, version, MSH-15/16', () => {
    const m = parsed(ORU);
    expect(m.messageType).to.deep.equal({ code: 'ORU', trigger: 'R01', structure: 'ORU_R01' });
    expect(m.controlId).to.equal('CTRL-1');
    expect(m.version).to.equal('2.5.1');
    expect(m.acceptAckType).to.equal('AL');
    expect(m.applicationAckType).to.equal('NE');
    expect(m.field('MSH', 1)).to.equal('|');
    expect(m.field('MSH', 2)).to.equal('^~\\&');
    expect(m.sender).to.deep.equal({ application: 'RIS', facility: 'HOSP' });
  });

  it('reads components, subcomponents and repetitions, all 1-based, unescaped', () => {
    const m = parsed(ORU);
    expect(m.field('OBR', 3)).to.equal('ACC-77');
    expect(m.field('OBR', 4, { component: 2 })).to.equal('CHEST XRAY 2 VIEWS');
    expect(m.field('PID', 3, { repetition: 2, component: 4, subcomponent: 2 })).to.equal('2.16.840.1.113883.4.1');
    expect(m.segment('PID')?.repetitionCount(3)).to.equal(2);
    expect(m.field('PID', 3, { repetition: 3 })).to.equal('');
    expect(m.field('PID', 99)).to.equal('');
    expect(m.field('ZZZ', 1)).to.equal('');
    expect(m.segments('OBX').map((s) => s.field(5))).to.deep.equal(['FINDINGS:\nNo focal consolidation. Size 3&4 cm | stable.', 'IMPRESSION: normal']);
    expect(m.field('OBX', 5, { occurrence: 2 })).to.equal('IMPRESSION: normal');
    expect(m.segment('OBX')?.rawText(5)).to.contain('\\.br\\');
  });

  it('takes custom delimiters from MSH-1 and MSH-2', () => {
    const m = parsed('MSH#$%@*#RIS#H#GW#H#2026##ORU$R01#C@F@9#P#2.5\rOBX#1#TX#X##a@S@b$second%rep2#');
    expect(m.controlId).to.equal('C#9');
    expect(m.messageType.trigger).to.equal('R01');
    expect(m.field('OBX', 5)).to.equal('a$b');
    expect(m.field('OBX', 5, { component: 2 })).to.equal('second');
    expect(m.field('OBX', 5, { repetition: 2 })).to.equal('rep2');
  });

  it('fails with a code, not an exception, for non-HL7, bad delimiters and a missing MSH-10', () => {
    const notHl7 = parseHl7Message('Unparseable message\n');
    expect(!notHl7.ok && notHl7.problem.code).to.equal('GW_ERR_HL7_NOT_HL7');
    const badDelims = parseHl7Message('MSH|^^\\&|A');
    expect(!badDelims.ok && badDelims.problem.code).to.equal('GW_ERR_HL7_MALFORMED');
    const noId = parseHl7Message('MSH|^~\\&|RIS|H|GW|H|2026||ORU^R01||P|2.5');
    expect(!noId.ok && noId.problem).to.deep.include({ code: 'GW_ERR_HL7_REQUIRED_FIELD', location: { segment: 'MSH', sequence: 1, field: 10 } });
  });

  it('keeps a raw line break inside a value rather than rejecting the message (dcm4che ORU^R01-PDF)', () => {
    const m = message(readMessageBytes(corpus('dcm4che__ORU_R01-PDF.hl7')));
    expect(m.segments().map((s) => s.name)).to.deep.equal(['MSH', 'PID', 'NTE', 'PV1', 'OBR', 'OBX', 'OBX', 'OBX', 'OBX']);
    expect(m.warnings).to.have.length(1);
    expect(m.field('OBX', 5, { occurrence: 4, component: 5 })).to.match(/\nA0KJSVFT0YNCg==$/);
  });

  it('refuses a line break inside MSH (fuzz seed 15 case 272): the ACK would echo one MSH-10 and the row keep another', () => {
    const broken = Buffer.from('MSH|^~\\&|RIS|HOSP|GW|HOSP|20260101||ORU^R01^ORU_R01|\x86\r\x0fJUNK-272|P|2.5.1\rPID|1||P1\rOBX|1|TX|X^Y||text||||||F\r', 'latin1');
    const item = readMessageBytes(broken);
    expect(item.kind).to.equal('invalid');
    expect(item.kind === 'invalid' && item.problem).to.deep.include({ code: 'GW_ERR_HL7_MALFORMED', location: { segment: 'MSH', sequence: 1 } });
    expect(item.kind === 'invalid' && item.problem.detail).to.match(/line 2 breaks the MSH segment/);
  });

  it('strips a UTF-8 BOM and accepts LF between segments (FHIR-Converter files)', () => {
    const m = message(readMessageBytes(corpus('fhirconverter__ORM-O01-01.hl7')));
    expect(m.controlId).to.equal('MSG00018');
    expect(m.segments().length).to.be.greaterThan(5);
    expect(m.text.charCodeAt(0)).to.not.equal(0xfeff);
    const leadingBlank = readMessageBytes(Buffer.from('\r\nMSH|^~\\&|RIS|H|GW|H|2026||ORU^R01|B1|P|2.5\r'));
    expect(message(leadingBlank).controlId).to.equal('B1');
  });

  it('decodes a latin-1 message that declares MSH-18 8859/1', () => {
    const bytes = Buffer.from('MSH|^~\\&|RIS|H|GW|H|2026||ORU^R01|L1|P|2.5||||||8859/1\rPID|||1||M\xfcller^J\xf6rg\r', 'latin1');
    const item = readMessageBytes(bytes);
    const m = message(item);
    expect(m.field('PID', 5)).to.equal('Müller');
    expect(m.field('PID', 5, { component: 2 })).to.equal('Jörg');
    expect(m.encoding).to.equal('windows-1252');
    expect(item.kind === 'message' && item.charsetAssumed).to.equal(false);
  });

  it('decodes GB 18030 Chinese report text, and ISO-2022-JP whose bytes include | and \\', () => {
    // python3 -c "print('患者因发现胸部肿块，进行胸部CT检查，发现肺癌患者'.encode('gb18030').hex())"
    const report = Buffer.from('bbbcd5dfd2f2b7a2cfd6d0d8b2bfd6d7bfe9a3acbdf8d0d0d0d8b2bf4354bcecb2e9a3acb7a2cfd6b7ceb0a9bbbcd5df', 'hex');
    const gb = Buffer.concat([Buffer.from('MSH|^~\\&|RIS|H|GW|H|2026||ORU^R01|G1|P|2.5||||||GB 18030-2000\rOBX|1|TX|R||'), report, Buffer.from('||||||F\r')]);
    expect(message(readMessageBytes(gb)).field('OBX', 5)).to.equal('患者因发现胸部肿块，进行胸部CT检查，发现肺癌患者');
    // '日本' in ISO-2022-JP is ESC $ B 46 7C 4B 5C ESC ( B: a byte-level splitter would cut it at the 0x7C
    const jis = Buffer.concat([Buffer.from('MSH|^~\\&|RIS|H|GW|H|2026||ADT^A01|J1|P|2.5||||||~ISO IR87\rPID|||1||'), Buffer.from('1b2442467c4b5c1b2842', 'hex'), Buffer.from('^Taro\r')]);
    const j = message(readMessageBytes(jis));
    expect(j.field('PID', 5)).to.equal('日本');
    expect(j.field('PID', 5, { component: 2 })).to.equal('Taro');
  });

  it('decodes hex escapes meant in latin-1 inside a UTF-8 message (dcm4che SIU^S12)', () => {
    const m = message(readMessageBytes(corpus('dcm4che__SIU_S12.hl7')));
    expect(m.field('AIS', 3, { component: 2 })).to.equal('SEPTOPLASTIA (OPERAÇÃO ISOLADA)');
    expect(m.field('PV1', 3)).to.equal('Clínica Médica');
  });

  it('reads UTF-8 bytes declared as 8859/1 as UTF-8 (dcm4che OMI^O23)', () => {
    const m = message(readMessageBytes(corpus('dcm4che__OMI_O23-ImagingOrder.hl7')));
    expect(m.encoding).to.equal('utf-8');
    expect(m.text).to.contain('–');
  });

  it('splits an FHS/BHS batch into its messages and keeps the envelope headers', () => {
    const batch = [
      'FHS|^~\\&|RIS|H|GW|H|2026||||F-1',
      'BHS|^~\\&|RIS|H|GW|H|2026||||B-1',
      'MSH|^~\\&|RIS|H|GW|H|2026||ORU^R01|M1|P|2.5',
      'OBX|1|TX|R||one',
      'MSH|^~\\&|RIS|H|GW|H|2026||ORU^R01||P|2.5',
      'MSH|^~\\&|RIS|H|GW|H|2026||ORU^R01|M3|P|2.5',
      'OBX|1|TX|R||three',
      'BTS|3',
      'FTS|1',
    ].join('\n');
    const frame = readFrame(Buffer.from(`\ufeff${batch}\n`, 'utf8'));
    expect(frame.batch?.fileHeader?.fields[11]).to.equal('F-1');
    expect(frame.batch?.batchHeader?.fields[11]).to.equal('B-1');
    expect(frame.items.map((i) => i.kind)).to.deep.equal(['message', 'invalid', 'message']);
    expect(message(frame.items[2]).field('OBX', 5)).to.equal('three');
    expect(frame.items[1]?.kind === 'invalid' && frame.items[1].problem.code).to.equal('GW_ERR_HL7_REQUIRED_FIELD');
  });
});
