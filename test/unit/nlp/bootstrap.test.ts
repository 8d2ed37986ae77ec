import { expect } from 'chai';
import { bootstrapIntervals, multilabelIntervals, proportionInterval, quantile, seededRandom } from '../../../src/nlp/bootstrap.js';

describe('nlp/bootstrap: percentile intervals', () => {
  it('quantiles interpolate between order statistics (numpy default)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).to.equal(2.5);
    expect(quantile([1, 2, 3, 4], 0)).to.equal(1);
    expect(quantile([1, 2, 3, 4], 1)).to.equal(4);
    expect(quantile([10, 20], 0.25)).to.equal(12.5);
    expect(Number.isNaN(quantile([], 0.5))).to.equal(true);
  });

  it('gives the exact percentile interval of a small case: accuracy of 3 right of 4', () => {
    // the number of wrong items in a resample is Binomial(4, 1/4): accuracy 0 has p 0.004, accuracy <= 0.25 has
    // p 0.051, accuracy 1 has p 0.316, so the 2.5 % point is 0.25 and the 97.5 % point is 1
    const i = proportionInterval([true, true, true, false], { resamples: 20000, seed: 1 });
    expect(i).to.deep.equal({ lo: 0.25, hi: 1 });
  });

  it('agrees with the normal approximation on a large proportion (900 of 1,000)', () => {
    const items = Array.from({ length: 1000 }, (_, k) => k < 900);
    const i = proportionInterval(items, { resamples: 4000, seed: 7 });
    const half = 1.96 * Math.sqrt((0.9 * 0.1) / 1000); // 0.0186
    expect(i.lo).to.be.closeTo(0.9 - half, 0.004);
    expect(i.hi).to.be.closeTo(0.9 + half, 0.004);
  });

  it('is reproducible for a seed and differs between seeds', () => {
    const items = Array.from({ length: 50 }, (_, k) => k % 3 !== 0);
    expect(proportionInterval(items, { seed: 5 })).to.deep.equal(proportionInterval(items, { seed: 5 }));
    const a = seededRandom(1);
    const b = seededRandom(2);
    expect([a(), a()]).to.not.deep.equal([b(), b()]);
  });

  it('each resample draws n items in all', () => {
    const totals = new Set<number>();
    bootstrapIntervals(17, (w) => {
      totals.add(w.reduce((s, x) => s + x, 0));
      return [0];
    }, { resamples: 50 });
    expect([...totals]).to.deep.equal([17]);
  });

  it('multilabel: perfect predictions give [1, 1]; an undefined label is NaN, not 0', () => {
    const gold = new Map([['a', new Set(['X'])], ['b', new Set(['X', 'Y'])], ['c', new Set<string>()]]);
    const perfect = multilabelIntervals(gold, gold, ['X', 'Y', 'Z'], { resamples: 200 });
    expect(perfect.macroF1).to.deep.equal({ lo: 1, hi: 1 });
    expect(perfect.perLabel.X).to.deep.equal({ lo: 1, hi: 1 });
    expect(Number.isNaN(perfect.perLabel.Z?.lo)).to.equal(true);
    // Y is wrong in its only document: its F1 is 0 in every resample that has it
    const pred = new Map([['a', new Set(['X'])], ['b', new Set(['X'])], ['c', new Set<string>()]]);
    const r = multilabelIntervals(gold, pred, ['X', 'Y'], { resamples: 500 });
    expect(r.perLabel.Y).to.deep.equal({ lo: 0, hi: 0 });
    expect(r.macroF1.lo).to.equal(0.5); // X 1 and Y 0 whenever document b is drawn
    expect(r.macroF1.hi).to.equal(1); // only X when b is not drawn (p 8/27)
  });
});
