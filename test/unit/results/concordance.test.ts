import { expect } from 'chai';
import { compareFindings } from '../../../src/results/concordance.js';

const nodule = { code: '786838002', scheme: 'SCT', meaning: 'Pulmonary nodule', modelId: 'm', probability: 0.9 };

describe('results/concordance', () => {
  it('classifies each AI finding against the report', () => {
    const mention = (certainty: 'present' | 'absent' | 'uncertain') => [{ code: '786838002', scheme: 'SCT', label: 'nodule', certainty }];
    expect(compareFindings([{ ...nodule, flagged: true }], mention('present'))[0]?.state).to.equal('concordant');
    expect(compareFindings([{ ...nodule, flagged: true }], [])[0]).to.include({ state: 'ai-only', report: 'not-mentioned' });
    expect(compareFindings([{ ...nodule, flagged: true }], mention('absent'))[0]).to.include({ state: 'ai-only', report: 'absent' });
    expect(compareFindings([{ ...nodule, flagged: false }], mention('uncertain'))[0]).to.include({ state: 'report-only', report: 'uncertain' });
    expect(compareFindings([{ ...nodule, flagged: false }], mention('absent'))[0]?.state).to.equal('concordant');
    // a positive and a negative mention of the same finding: present wins
    expect(compareFindings([{ ...nodule, flagged: false }], [...mention('absent'), ...mention('present')])[0]?.report).to.equal('present');
    // other codes do not count
    expect(compareFindings([{ ...nodule, flagged: true }], [{ code: '60046008', scheme: 'SCT', label: 'effusion', certainty: 'present' }])[0]?.state).to.equal('ai-only');
  });
});
