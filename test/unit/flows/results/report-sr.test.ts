import { expect } from 'chai';
import type { ReportFinding } from '../../../../src/nlp/index.js';
import { studyFindings } from '../../../../src/flows/results/report-sr.js';

function mention(concept: string, certainty: ReportFinding['certainty'], sizeMm: number | null = null, scheme: ReportFinding['scheme'] = 'SCT'): ReportFinding {
  return { concept, code: `c-${concept}`, scheme, label: concept, certainty, anatomy: null, laterality: null, sizeMm, span: [0, 1], text: concept, source: 'rules', cue: null };
}

describe('flows/results/report-sr studyFindings', () => {
  it('gives one finding per concept: present over uncertain over absent, whatever the order', () => {
    const out = studyFindings([mention('effusion', 'absent'), mention('effusion', 'present'), mention('effusion', 'uncertain'), mention('edema', 'uncertain'), mention('edema', 'absent')]);
    expect(out.map((f) => [f.finding.value, f.presence])).to.deep.equal([['c-effusion', 'present'], ['c-edema', 'undetermined']]);
  });

  it('keeps the largest size stated for a present or uncertain mention, never one from a negated mention', () => {
    const out = studyFindings([mention('nodule', 'present', 4), mention('nodule', 'absent', 30), mention('nodule', 'uncertain', 9), mention('mass', 'absent', 20)]);
    expect(out.find((f) => f.finding.value === 'c-nodule')?.sizeMm).to.equal(9);
    expect(out.find((f) => f.finding.value === 'c-mass')).to.not.have.property('sizeMm');
  });

  it('writes the gateway-local concepts under the private scheme 99PAG, skips "no finding", cites no image', () => {
    const out = studyFindings([mention('lung-opacity', 'present', null, 'LOCAL'), mention('no-finding', 'present', null, 'LOCAL')]);
    expect(out).to.have.length(1);
    expect(out[0]?.finding.scheme).to.equal('99PAG');
    expect(out[0]?.sourceInstanceUids).to.deep.equal([]);
  });
});
