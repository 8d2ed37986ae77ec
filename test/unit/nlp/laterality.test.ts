import { expect } from 'chai';
import { analyzeReport } from '../../../src/nlp/index.js';
import { lateralityOf } from '../../../src/nlp/laterality.js';

async function sides(text: string): Promise<Array<[string, string | null, string | null]>> {
  return (await analyzeReport(text)).findings.map((f) => [f.concept, f.laterality, f.anatomy]);
}

describe('nlp/laterality', () => {
  it('reads left, right and both sides in English and Chinese', () => {
    expect(lateralityOf('right upper lobe')).to.equal('right');
    expect(lateralityOf('left-sided')).to.equal('left');
    expect(lateralityOf('bibasilar')).to.equal('bilateral');
    expect(lateralityOf('both lungs')).to.equal('bilateral');
    expect(lateralityOf('left and right')).to.equal('bilateral');
    expect(lateralityOf('左肺下叶')).to.equal('left');
    expect(lateralityOf('右侧胸腔')).to.equal('right');
    expect(lateralityOf('双肺')).to.equal('bilateral');
    expect(lateralityOf('两侧胸膜')).to.equal('bilateral');
    expect(lateralityOf('两个结节')).to.equal(null); // 两 = "two" here
    expect(lateralityOf('heart')).to.equal(null);
  });

  it('a side word right before a finding, or its anatomy, gives the finding its side', async () => {
    expect(await sides('Small left pleural effusion.')).to.deep.equal([['pleural-effusion', 'left', null]]);
    expect(await sides('There is a nodule in the right upper lobe.')).to.deep.equal([['lung-nodule', 'right', 'upper lobe']]);
    expect(await sides('Bibasilar atelectasis.')).to.deep.equal([['atelectasis', 'bilateral', 'lung base']]);
    expect(await sides('右肺下叶后基底段见一实性结节。')).to.deep.equal([['lung-nodule', 'right', 'lower lobe']]);
    expect(await sides('两肺散在浸润影。')).to.deep.equal([['infiltration', 'bilateral', 'lung']]);
  });

  it('Chinese: the side named at the head of a sentence carries to findings in its later clauses', async () => {
    expect(await sides('右肺中叶大片实变影，其内可见支气管充气征，考虑大叶性肺炎。')).to.deep.equal([
      ['consolidation', 'right', 'middle lobe'], ['pneumonia', 'right', null],
    ]);
  });

  it('findings without a side get none, whatever side words are near', async () => {
    expect(await sides('Left pleural effusion and cardiomegaly.')).to.deep.equal([
      ['pleural-effusion', 'left', null], ['cardiomegaly', null, null],
    ]);
  });

  it('each finding of a sentence keeps its own side', async () => {
    expect(await sides('Right lower lobe consolidation and left pleural effusion.')).to.deep.equal([
      ['consolidation', 'right', 'lower lobe'], ['pleural-effusion', 'left', null],
    ]);
  });
});
