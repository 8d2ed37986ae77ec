import { expect } from 'chai';
import { inputToImagePoints } from '../../../src/imaging/index.js';
import { bilinearAxis } from '../../../src/imaging/resize.js';
import { inputToImageAxis } from '../../../src/imaging/input-to-image.js';

describe('imaging/input-to-image: model input → stored image coordinates', () => {
  it('maps the input grid edges onto the image edges, each axis on its own (non-square image)', () => {
    const spec = { width: 100, height: 100 };
    expect(inputToImagePoints([[0, 0], [100, 100], [50, 25]], spec, { rows: 300, columns: 512 })).to.deep.equal([[0, 0], [512, 300], [256, 75]]);
  });

  it('puts each input pixel centre where the resize samples it (align_corners false and true)', () => {
    for (const align of [false, true]) {
      for (const [nIn, nOut] of [[512, 100], [300, 100], [64, 100], [7, 3]] as const) {
        const axis = bilinearAxis(nIn, nOut, align);
        for (let i = 0; i < nOut; i++) {
          // where upsampling clamps the first samples to pixel 0, the map stays linear (a region edge, not a sample)
          if (!align && ((i + 0.5) * nIn) / nOut - 0.5 < 0) continue;
          // the source position the resize samples for output i, as an edge coordinate (index + ½)
          const sampled = (axis.i0[i] as number) + (axis.f[i] as number) + 0.5;
          expect(inputToImageAxis(i + 0.5, nOut, nIn, align), `${nIn}→${nOut} i=${i} align=${align}`).to.be.closeTo(sampled, 1e-9);
        }
      }
    }
  });

  it('clamps to the image: [0, Columns] × [0, Rows]', () => {
    expect(inputToImagePoints([[-1, 101]], { width: 100, height: 100 }, { rows: 10, columns: 10 })).to.deep.equal([[0, 10]]);
    expect(inputToImagePoints([[-10, 110]], { width: 100, height: 100, alignCorners: true }, { rows: 10, columns: 10 })).to.deep.equal([[0, 10]]);
  });
});
