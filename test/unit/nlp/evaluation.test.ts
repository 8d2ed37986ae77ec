import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeReport } from '../../../src/nlp/index.js';
import {
  chexpertLabels, csvRecords, openiLabels, parseCsv, parseNegex, prf, scoreMultilabel,
} from '../../../src/nlp/evaluation.js';
import type { ReportFinding } from '../../../src/nlp/index.js';
import { CORPUS } from '../../helpers/fixtures.js';

const finding = (concept: string, certainty: ReportFinding['certainty']): ReportFinding => ({
  concept, certainty, code: '', scheme: 'LOCAL', label: concept, anatomy: null, laterality: null, sizeMm: null,
  span: [0, 1], text: concept, source: 'rules', cue: null,
});

describe('nlp/evaluation: metric code', () => {
  it('precision, recall, F1 on a hand-made example', () => {
    const r = prf({ tp: 3, fp: 1, fn: 2 });
    expect(r.precision).to.equal(0.75);
    expect(r.recall).to.equal(0.6);
    expect(r.f1).to.be.closeTo((2 * 0.75 * 0.6) / 1.35, 1e-12);
    expect(r.support).to.equal(5);
    expect(prf({ tp: 0, fp: 0, fn: 0 }).f1).to.equal(0);
  });

  it('macro-F1 averages labels with gold positives only; micro pools the counts', () => {
    const gold = new Map([['d1', new Set(['A'])], ['d2', new Set(['A', 'B'])], ['d3', new Set<string>()]]);
    const pred = new Map([['d1', new Set(['A'])], ['d2', new Set(['C'])], ['d3', new Set(['B'])]]);
    const r = scoreMultilabel(gold, pred, ['A', 'B', 'C']);
    expect(r.perLabel.A).to.include({ tp: 1, fp: 0, fn: 1, support: 2 });
    expect(r.perLabel.B).to.include({ tp: 0, fp: 1, fn: 1, f1: 0 });
    expect(r.perLabel.C).to.include({ tp: 0, fp: 1, fn: 0, support: 0 });
    expect(r.macroF1).to.be.closeTo((2 / 3 + 0) / 2, 1e-12); // C has no support: listed, not averaged
    expect(r.micro).to.include({ tp: 1, fp: 2, fn: 2 });
  });

  it('parses CSV with quoted commas, quotes and newlines', () => {
    expect(parseCsv('a,b\n"x, y","say ""hi""\nthere"\r\n1,\n')).to.deep.equal([
      ['a', 'b'], ['x, y', 'say "hi"\nthere'], ['1', ''],
    ]);
  });

  it('maps findings to OpenI labels (present only) and to CheXpert values with its aggregation', () => {
    const fs = [finding('pleural-effusion', 'present'), finding('atelectasis', 'uncertain'), finding('mass', 'present'),
      finding('cardiomegaly', 'absent'), finding('cardiomegaly', 'uncertain')];
    expect([...openiLabels(fs)].sort()).to.deep.equal(['Effusion', 'Mass']);
    const c = chexpertLabels(fs);
    expect(c['Pleural Effusion']).to.equal(1);
    expect(c.Atelectasis).to.equal(-1);
    expect(c.Cardiomegaly).to.equal(-1); // uncertain beats negative
    expect(c['Lung Lesion']).to.equal(1);
    expect(c.Edema).to.equal(null);
    expect(c['No Finding']).to.equal(null);
    expect(chexpertLabels([finding('support-devices', 'present')])['No Finding']).to.equal(1);
  });

  it('smoke run on a slice of the shared corpus: the pipeline runs and the numbers are ratios', async () => {
    const reports = csvRecords(readFileSync(join(CORPUS, 'reports/openi/indiana_reports.csv'), 'utf8')).slice(0, 15);
    const gold = new Map<string, Set<string>>();
    const pred = new Map<string, Set<string>>();
    for (const r of reports) {
      gold.set(r.uid as string, new Set<string>());
      pred.set(r.uid as string, openiLabels((await analyzeReport(`${r.findings}\n\n${r.impression}`)).findings));
    }
    const res = scoreMultilabel(gold, pred, ['Cardiomegaly', 'Effusion']);
    expect(res.micro.precision).to.be.within(0, 1);
    const negex = parseNegex(readFileSync(join(CORPUS, 'reports/negex/rsAnnotations-1-120-random.tsv'), 'utf8'));
    expect(negex[0]).to.deep.equal({
      line: 1, condition: 'edema', sentence: 'Extremities reveal no peripheral cyanosis or EDEMA.', negated: true,
    });
    let correct = 0;
    for (const row of negex.slice(0, 10)) {
      const t = (await analyzeReport(row.sentence, { targets: [row.condition] })).targets?.[0];
      if ((t?.certainty === 'absent') === row.negated) correct++;
    }
    expect(correct / 10).to.be.within(0, 1);
  });
});

describe('nlp/evaluation: hedges the OpenI gold codes', () => {
  it('counts "probable" and "versus" findings, not "possible" or "may represent" ones', async () => {
    const labels = async (t: string): Promise<string[]> => [...openiLabels((await analyzeReport(t, {})).findings)].sort();
    expect(await labels('Probable right lower lobe pneumonia.')).to.deep.equal(['Pneumonia']);
    expect(await labels('Basilar opacity, atelectasis versus effusion.')).to.deep.equal(['Atelectasis', 'Effusion']);
    expect(await labels('Possible right lower lobe pneumonia.')).to.deep.equal([]);
    expect(await labels('Opacity which may represent atelectasis.')).to.deep.equal([]);
  });
});
