import { expect } from 'chai';
import { parseHl7Message } from '../../../src/hl7/message.js';
import { buildAiFlagsOru, type AiFlagsOruInput } from '../../../src/results/index.js';

const input: AiFlagsOruInput = {
  accessionNumber: 'ACC|1^2',
  studyInstanceUid: '1.2.3',
  patientId: 'P1',
  patientName: 'DOE^JANE',
  findings: [{ modelId: 'm', modelVersion: '1.0.0', code: '786838002', scheme: 'SCT', meaning: 'Pulmonary nodule', flagged: true, probability: 0.93214 }],
  discordances: [{ code: '786838002', meaning: 'Pulmonary nodule', state: 'ai-only' }],
  demo: true,
  observedAt: new Date('2026-11-30T10:00:00Z'),
  receivingApplication: 'RIS',
  receivingFacility: 'HOSP',
};

describe('results/hl7-oru', () => {
  it('builds an ORU^R01 a strict parser reads back: escaped accession, coded finding, probability, discordance', () => {
    const { text, controlId } = buildAiFlagsOru(input);
    const parsed = parseHl7Message(text);
    if (!parsed.ok) throw new Error(`not parsed: ${parsed.problem.detail}`);
    const m = parsed.message;
    expect(m.messageType).to.include({ code: 'ORU', trigger: 'R01' });
    expect(m.controlId).to.equal(controlId);
    expect(controlId.length).to.be.at.most(20);
    expect(m.field('OBR', 3)).to.equal('ACC|1^2');
    expect(m.field('OBR', 5)).to.equal('S');
    expect(m.field('OBR', 25)).to.equal('F');
    const obx = m.segments('OBX');
    expect(obx.find((o) => o.field(2) === 'NM')?.field(5)).to.equal('0.9321');
    expect(obx.some((o) => o.field(3) === 'DISCORDANCE' && o.field(8) === 'A')).to.equal(true);
    expect(obx.some((o) => o.field(3) === 'DISCLAIMER')).to.equal(true);
  });

  it('derives MSH-10 from the content: the same result is the same message, a new discordance a new one', () => {
    expect(buildAiFlagsOru(input).controlId).to.equal(buildAiFlagsOru(input).controlId);
    expect(buildAiFlagsOru({ ...input, discordances: [] }).controlId).to.not.equal(buildAiFlagsOru(input).controlId);
  });
});
