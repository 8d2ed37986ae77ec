import { expect } from 'chai';
import { bilinearAxis, resizeBilinear } from '../../../src/imaging/resize.js';

const resize1d = (src: number[], n: number, alignCorners = false): number[] =>
  Array.from(resizeBilinear(src, src.length, 1, new Float32Array(n), n, 1, { alignCorners }));

describe('imaging/resize', () => {
  it('upsamples like torch F.interpolate(bilinear, align_corners=False): edges clamp, centres align', () => {
    expect(resize1d([0, 1], 4)).to.deep.equal([0, 0.25, 0.75, 1]);
    expect(resize1d([0, 10, 20], 6)).to.deep.equal([0, 2.5, 7.5, 12.5, 17.5, 20]);
  });

  it('downsamples by 2 to the mean of each pair, with no antialiasing beyond that', () => {
    expect(resize1d([0, 1, 2, 3], 2)).to.deep.equal([0.5, 2.5]);
    // by 4: src = 1.5 and 5.5, still two-tap (no box filter)
    expect(resize1d([0, 1, 2, 3, 4, 5, 6, 7], 2)).to.deep.equal([1.5, 5.5]);
  });

  it('align_corners=True puts the first and last samples on the corner pixels', () => {
    const out = resize1d([0, 1], 4, true);
    [0, 1 / 3, 2 / 3, 1].forEach((v, i) => expect(out[i]).to.be.closeTo(v, 1e-7));
    expect(resize1d([0, 1, 2, 3], 2, true)).to.deep.equal([0, 3]);
  });

  it('is the identity at the same size and resizes each axis on its own', () => {
    const img = [1, 2, 3, 4, 5, 6];
    expect(Array.from(resizeBilinear(img, 3, 2, new Float32Array(6), 3, 2))).to.deep.equal(img);
    // 3×2 → 3×1: rows averaged, columns untouched
    expect(Array.from(resizeBilinear(img, 3, 2, new Float32Array(3), 3, 1))).to.deep.equal([2.5, 3.5, 4.5]);
  });

  it('keeps interleaved channels apart', () => {
    const rgb = [0, 100, 200, 10, 110, 210];
    expect(Array.from(resizeBilinear(rgb, 2, 1, new Float32Array(3), 1, 1, { channels: 3 }))).to.deep.equal([5, 105, 205]);
  });

  it('computes source positions in float64 (the model card formula for 512 → 100)', () => {
    const axis = bilinearAxis(512, 100);
    for (let i = 0; i < 100; i++) {
      const src = Math.max((i + 0.5) * 5.12 - 0.5, 0);
      expect(axis.i0[i]).to.equal(Math.floor(src));
      expect(axis.f[i]).to.equal(src - Math.floor(src));
    }
    expect(() => bilinearAxis(0, 10)).to.throw(RangeError);
  });
});
