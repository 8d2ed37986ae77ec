import { expect } from 'chai';
import { analyzeReport } from '../../../src/nlp/index.js';
import { findMeasurements } from '../../../src/nlp/measurements.js';

const largest = (text: string): number[] => findMeasurements(text).map((m) => m.largestMm);

describe('nlp/measurements', () => {
  it('normalises mm and cm, English and Chinese units, to millimetres', () => {
    expect(largest('an 8 mm nodule')).to.deep.equal([8]);
    expect(largest('a 1.2 cm nodule')).to.deep.equal([12]);
    expect(largest('15mm mass')).to.deep.equal([15]);
    expect(largest('直径约8毫米')).to.deep.equal([8]);
    expect(largest('约2.1厘米肿块')).to.deep.equal([21]);
    expect(largest('measuring 2 centimeters')).to.deep.equal([20]);
  });

  it('multi-dimension sizes give the largest dimension: "4 x 6 mm" → 6', () => {
    expect(largest('4 x 6 mm')).to.deep.equal([6]);
    expect(largest('3 x 4 x 5 cm')).to.deep.equal([50]);
    expect(largest('大小约3.5×4.2cm')).to.deep.equal([42]);
    expect(largest('6mm×5mm')).to.deep.equal([6]);
    const [m] = findMeasurements('a 2.1 x 1.4 cm mass');
    expect(m).to.include({ text: '2.1 x 1.4 cm', start: 2, end: 14 });
    expect(m?.dimensionsMm).to.deep.equal([21, 14]);
  });

  it('ignores numbers that are not sizes', () => {
    expect(largest('compressed by 30%, 5 mmHg, left 5th rib, 7:34 p.m., 12 x 3')).to.deep.equal([]);
  });

  it('gives a size to the finding it belongs to', async () => {
    const size = async (text: string): Promise<Array<[string, number | null]>> =>
      (await analyzeReport(text)).findings.map((f) => [f.concept, f.sizeMm]);
    expect(await size('There is a 4 x 6 mm nodule in the right upper lobe.')).to.deep.equal([['lung-nodule', 6]]);
    expect(await size('Right upper lobe mass measuring 3.4 x 2.8 cm.')).to.deep.equal([['mass', 34]]);
    expect(await size('右肺上叶结节较前增大，由6mm增至9mm。')).to.deep.equal([['lung-nodule', 9]]);
    expect(await size('Small right pleural effusion and a 5 mm nodule.')).to.deep.equal([
      ['pleural-effusion', null], ['lung-nodule', 5],
    ]);
  });
});
