import { expect } from 'chai';
import { type VoiWindow } from '../../../src/imaging/index.js';
import { resolveWindow, voiToUnit, windowAffine } from '../../../src/imaging/voi-window.js';
import { ctMeta } from '../../helpers/image-meta.js';

const meta = ctMeta;
const w = (center: number, width: number, voiLutFunction: VoiWindow['voiLutFunction']): VoiWindow => ({ center, width, voiLutFunction, source: 'preset' });

describe('imaging/voi-window', () => {
  it('LINEAR follows PS3.3 C.11.2.1.2.1 at and around both edges', () => {
    // c = 2048, w = 4096 (the standard's own example): x ≤ 0 → 0, x > 4095 → 1
    const win = w(2048, 4096, 'LINEAR');
    expect(voiToUnit(0, win)).to.equal(0);
    expect(voiToUnit(4095, win)).to.equal(1);
    expect(voiToUnit(2047.5, win)).to.be.closeTo(0.5, 1e-12);
    expect(voiToUnit(1, win)).to.be.closeTo(1 / 4095, 1e-12);
  });

  it('LINEAR_EXACT is the plain (x − (c − w/2)) / w that model training code uses', () => {
    const win = w(-600, 1500, 'LINEAR_EXACT');
    for (const hu of [-2000, -1350, -1000, -600, 0, 150, 151, 3000]) {
      expect(voiToUnit(hu, win), String(hu)).to.be.closeTo(Math.min(1, Math.max(0, (hu + 1350) / 1500)), 1e-15);
    }
  });

  it('SIGMOID is 1 / (1 + exp(−4 (x − c)/w)) (C.11.2.1.3.1)', () => {
    const win = w(100, 50, 'SIGMOID');
    expect(voiToUnit(100, win)).to.equal(0.5);
    expect(voiToUnit(125, win)).to.be.closeTo(1 / (1 + Math.exp(-2)), 1e-15);
  });

  it('the folded affine form equals the per-value function for linear windows, and is absent for the others', () => {
    for (const win of [w(40, 400, 'LINEAR'), w(-600, 1500, 'LINEAR_EXACT'), w(0.5, 2, 'LINEAR')]) {
      const a = windowAffine(win);
      expect(a).to.not.equal(undefined);
      for (let x = -2000; x <= 2000; x += 1.37) {
        const folded = Math.min(1, Math.max(0, x * (a?.scale ?? 0) + (a?.offset ?? 0)));
        expect(folded).to.be.closeTo(voiToUnit(x, win), 1e-12);
      }
    }
    expect(windowAffine(w(0, 10, 'SIGMOID'))).to.equal(undefined);
    expect(windowAffine(w(0, 1, 'LINEAR'))).to.equal(undefined);
    expect(voiToUnit(-0.5, w(0, 1, 'LINEAR'))).to.equal(0);
    expect(voiToUnit(-0.4, w(0, 1, 'LINEAR'))).to.equal(1);
  });

  it('prefers the model preset, then the image window, then the frame min..max', () => {
    const frame = new Int16Array([0, 1024, 2048, 100]);
    const rescale = { slope: 1, intercept: -1024 };
    expect(resolveWindow(meta(), frame, rescale, { center: -600, width: 1500 })).to.deep.equal({ center: -600, width: 1500, voiLutFunction: 'LINEAR_EXACT', source: 'preset' });
    expect(resolveWindow(meta(), frame, rescale)).to.deep.equal({ center: 40, width: 400, voiLutFunction: 'LINEAR', source: 'image' });
    const fallback = resolveWindow(meta({ windowCenter: undefined, windowWidth: undefined }), frame, rescale);
    expect(fallback).to.deep.equal({ center: 0, width: 2048, voiLutFunction: 'LINEAR_EXACT', source: 'min-max' });
    expect(voiToUnit(-1024, fallback)).to.equal(0);
    expect(voiToUnit(1024, fallback)).to.equal(1);
  });

  it('skips an image window the standard forbids and rejects a bad preset', () => {
    const frame = new Int16Array([5, 5]);
    const flat = resolveWindow(meta({ windowWidth: 0.5 }), frame, { slope: 1, intercept: 0 });
    expect(flat.source).to.equal('min-max');
    expect(voiToUnit(5, flat)).to.equal(0); // a flat frame maps to 0
    expect(() => resolveWindow(meta(), frame, { slope: 1, intercept: 0 }, { center: 0, width: 0 })).to.throw(RangeError);
    expect(() => resolveWindow(meta(), frame, { slope: 1, intercept: 0 }, { center: 0, width: 0.5, voiLutFunction: 'LINEAR' })).to.throw(RangeError);
  });
});
