import { expect } from 'chai';
import { parseHl7Message, type ParsedHl7Message } from '../../../src/hl7/message.js';
import { buildAiFlagsOru, type AiFlagsOruInput } from '../../../src/results/index.js';

const input: AiFlagsOruInput = {
  accessionNumber: 'ACC|1^2',
  accessionIssuer: { namespaceId: 'RIS', universalId: '1.2.840.99.1', universalIdType: 'ISO' },
  studyInstanceUid: '1.2.3',
  patient: { id: 'P1', issuer: { namespaceId: 'HOSP', universalId: '1.2.840.99.2', universalIdType: 'ISO' }, identifierTypeCode: 'MR', name: 'DOE^JANE^Q^DR^JR', birthDate: '19700102', sex: 'F' },
  findings: [
    { modelId: 'm', modelVersion: '1.0.0', code: '786838002', scheme: 'SCT', meaning: 'Pulmonary nodule', flagged: true, probability: 0.93214, srSopInstanceUid: '2.25.11' },
    { modelId: 'e', modelVersion: '2.0.0', code: '60046008', scheme: 'SCT', meaning: 'Pleural effusion', flagged: false, probability: 0.01, srSopInstanceUid: '2.25.22' },
  ],
  discordances: [{ code: '786838002', meaning: 'Pulmonary nodule', state: 'ai-only' }],
  demo: true,
  observedAt: new Date('2026-11-30T10:00:00Z'),
  receivingApplication: 'RIS',
  receivingFacility: 'HOSP',
};

function parsed(over: Partial<AiFlagsOruInput> = {}): ParsedHl7Message {
  const result = parseHl7Message(buildAiFlagsOru({ ...input, ...over }).text);
  if (!result.ok) throw new Error(`not parsed: ${result.problem.detail}`);
  return result.message;
}

const obxRows = (m: ParsedHl7Message): Array<{ type: string; id: string; text: string; subId: string; value: string; status: string }> =>
  m.segments('OBX').map((o) => ({ type: o.field(2), id: o.field(3), text: o.field(3, { component: 2 }), subId: o.field(4), value: o.field(5), status: o.field(11) }));

describe('results/hl7-oru', () => {
  it('builds an ORU^R01 a strict parser reads back: escaped accession, coded finding, probability, discordance', () => {
    const { text, controlId } = buildAiFlagsOru(input);
    const parsedBack = parseHl7Message(text);
    if (!parsedBack.ok) throw new Error(`not parsed: ${parsedBack.problem.detail}`);
    const m = parsedBack.message;
    expect(m.messageType).to.include({ code: 'ORU', trigger: 'R01' });
    expect(m.controlId).to.equal(controlId);
    expect(controlId.length).to.be.at.most(20);
    expect(m.field('OBR', 3)).to.equal('ACC|1^2');
    expect(m.field('OBR', 18)).to.equal('ACC|1^2');
    const obx = m.segments('OBX');
    expect(obx.find((o) => o.field(2) === 'NM')?.field(5)).to.equal('0.9321');
    expect(obx.some((o) => o.field(3) === 'DISCORDANCE' && o.field(8) === 'A')).to.equal(true);
    expect(obx.some((o) => o.field(3) === 'DISCLAIMER')).to.equal(true);
  });

  it('segments in the v2.5.1 ORU_R01 order: MSH PID ORC OBR TQ1 OBX…, no Z-segment', () => {
    const names = parsed().segments().map((s) => s.name);
    expect(names.slice(0, 5)).to.deep.equal(['MSH', 'PID', 'ORC', 'OBR', 'TQ1']);
    expect(new Set(names.slice(5))).to.deep.equal(new Set(['OBX']));
    expect(names.some((n) => n.startsWith('Z'))).to.equal(false);
  });

  it('priority in TQ1-9 (table 0485) and OBR-27.6, OBR-5 empty: S when flagged or discordant, R otherwise', () => {
    const stat = parsed();
    expect([stat.field('TQ1', 9), stat.field('TQ1', 9, { component: 3 })]).to.deep.equal(['S', 'HL70485']);
    expect(stat.field('OBR', 27, { component: 6 })).to.equal('S');
    expect(stat.field('OBR', 5)).to.equal('');
    const routine = parsed({ findings: input.findings.map((f) => ({ ...f, flagged: false })), discordances: [] });
    expect(routine.field('TQ1', 9)).to.equal('R');
    expect(routine.field('OBR', 27, { component: 6 })).to.equal('R');
  });

  it('accession in OBR-18 (IHE RAD) and as the filler order number in OBR-3/ORC-3 with its issuer; no placer order number', () => {
    const m = parsed();
    expect(m.field('OBR', 18)).to.equal('ACC|1^2');
    for (const seg of ['OBR', 'ORC']) {
      expect([1, 2, 3, 4].map((component) => m.field(seg, 3, { component })), seg).to.deep.equal(['ACC|1^2', 'RIS', '1.2.840.99.1', 'ISO']);
      expect(m.field(seg, 2), `${seg}-2`).to.equal('');
    }
    const bare = parsed({ accessionIssuer: undefined });
    expect(bare.segment('OBR')?.rawText(3)).to.equal('ACC\\F\\1\\S\\2');
  });

  it('ORC: RE (observations to follow), CM (completed), the transaction time', () => {
    const m = parsed();
    expect([m.field('ORC', 1), m.field('ORC', 5), m.field('ORC', 9)]).to.deep.equal(['RE', 'CM', '20261130100000+0000']);
  });

  it('PID-5 in XPN order: a DICOM prefix and suffix land in XPN-5 and XPN-4', () => {
    const m = parsed();
    expect([1, 2, 3, 4, 5].map((component) => m.field('PID', 5, { component }))).to.deep.equal(['DOE', 'JANE', 'Q', 'JR', 'DR']);
    expect(parsed({ patient: { ...input.patient, name: 'DOE^JANE' } }).segment('PID')?.rawText(5)).to.equal('DOE^JANE');
  });

  it('PID-3 as CX with the assigning authority (HD subcomponents) and identifier type code; a bare ID without one', () => {
    const m = parsed();
    expect(m.segment('PID')?.rawText(3)).to.equal('P1^^^HOSP&1.2.840.99.2&ISO^MR');
    expect(m.field('PID', 3, { component: 4, subcomponent: 2 })).to.equal('1.2.840.99.2');
    expect(parsed({ patient: { ...input.patient, issuer: { namespaceId: 'HOSP' }, identifierTypeCode: undefined } }).segment('PID')?.rawText(3)).to.equal('P1^^^HOSP');
    expect(parsed({ patient: { ...input.patient, issuer: undefined, identifierTypeCode: undefined } }).segment('PID')?.rawText(3)).to.equal('P1');
  });

  it('PID-7 birth date (with the birth time when known) and PID-8 sex mapped to table 0001', () => {
    const m = parsed();
    expect([m.field('PID', 7), m.field('PID', 8)]).to.deep.equal(['19700102', 'F']);
    expect(parsed({ patient: { ...input.patient, birthTime: '0830', sex: 'M' } }).field('PID', 7)).to.equal('197001020830');
    expect(parsed({ patient: { ...input.patient, sex: 'M' } }).field('PID', 8)).to.equal('M');
    expect(parsed({ patient: { ...input.patient, sex: 'O' } }).field('PID', 8)).to.equal('O');
    expect(parsed({ patient: { ...input.patient, sex: 'X', birthDate: '1970' } }).segment('PID')?.rawText(7)).to.equal('');
    expect(parsed({ patient: { ...input.patient, sex: 'X' } }).field('PID', 8)).to.equal('');
  });

  it('the Study Instance UID and each SR SOP Instance UID are HD OBX rows (DCM 110180, IHE "SR Instance UID")', () => {
    const rows = obxRows(parsed());
    expect(rows[0]).to.deep.include({ type: 'HD', id: '110180', text: 'Study Instance UID', subId: '', value: '1.2.3' });
    const sr = rows.filter((r) => r.text === 'SR Instance UID');
    expect(sr.map((r) => [r.type, r.id, r.value, r.subId])).to.deep.equal([['HD', '', '2.25.11', '1'], ['HD', '', '2.25.22', '2']]);
    const without = obxRows(parsed({ findings: [{ ...input.findings[0]!, srSopInstanceUid: undefined }] }));
    expect(without.some((r) => r.text === 'SR Instance UID')).to.equal(false);
  });

  it('OBX-4 groups the rows of one finding; a discordance joins its finding, a report-only one gets its own group', () => {
    const rows = obxRows(parsed({ discordances: [...input.discordances, { code: '233604007', meaning: 'Pneumonia', state: 'report-only' }] }));
    const group = (subId: string): string[] => rows.filter((r) => r.subId === subId).map((r) => r.id || r.text);
    expect(group('1')).to.deep.equal(['786838002', '111012', '111001', '111003', 'SR Instance UID', 'DISCORDANCE']);
    expect(group('2')).to.deep.equal(['60046008', '111012', '111001', '111003', 'SR Instance UID']);
    expect(group('3')).to.deep.equal(['DISCORDANCE']);
    expect(group('')).to.deep.equal(['110180', 'DISCLAIMER']);
    // OBX-1 still counts every row: the sub-ID groups, the set ID orders.
    expect(parsed().segments('OBX').map((o) => o.field(1))).to.deep.equal(obxRows(parsed()).map((_, i) => String(i + 1)));
  });

  it('final by default: OBR-25 and every OBX-11 F, nothing named as replaced', () => {
    const m = parsed();
    expect(m.field('OBR', 25)).to.equal('F');
    expect(new Set(obxRows(m).map((r) => r.status))).to.deep.equal(new Set(['F']));
    expect(obxRows(m).some((r) => r.id === '121360')).to.equal(false);
  });

  it('a correction: OBR-25 and every OBX-11 C, and an OBX naming the replaced SR (DCM 121360)', () => {
    const m = parsed({ resultStatus: 'C', corrects: { srSopInstanceUid: '2.25.99' } });
    expect(m.field('OBR', 25)).to.equal('C');
    expect(new Set(obxRows(m).map((r) => r.status))).to.deep.equal(new Set(['C']));
    expect(obxRows(m).find((r) => r.id === '121360')).to.deep.include({ type: 'HD', text: 'Replaced report', value: '2.25.99', subId: '' });
    expect(buildAiFlagsOru({ ...input, resultStatus: 'C', corrects: { srSopInstanceUid: '2.25.99' } }).controlId).to.not.equal(buildAiFlagsOru(input).controlId);
  });

  it('derives MSH-10 from the content: the same result is the same message, a new discordance a new one', () => {
    expect(buildAiFlagsOru(input).controlId).to.equal(buildAiFlagsOru(input).controlId);
    expect(buildAiFlagsOru({ ...input, discordances: [] }).controlId).to.not.equal(buildAiFlagsOru(input).controlId);
  });
});
