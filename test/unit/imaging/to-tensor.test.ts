import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { type DecodedImage, type ImageMeta, type TensorSpec } from '../../../src/imaging/index.js';
import { applyModalityLut } from '../../../src/imaging/modality-lut.js';
import { applyVoiWindow, resolveWindow } from '../../../src/imaging/voi-window.js';
import { preprocessBatch, preprocessForModel, tensorSize } from '../../../src/imaging/to-tensor.js';
import { resizeBilinear } from '../../../src/imaging/resize.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';
import { ctMeta } from '../../helpers/image-meta.js';

function ctImage(rows: number, columns: number, seed: number, over: Partial<ImageMeta> = {}): DecodedImage {
  const frame = new Int16Array(rows * columns);
  let s = seed;
  for (let i = 0; i < frame.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    frame[i] = (s % 3000) - 200; // stored; HU = stored − 1024
  }
  const meta = ctMeta({ rows, columns, ...over });
  return { meta, frames: [frame] };
}

const lung: TensorSpec = { width: 20, height: 15, channels: 1, layout: 'NHWC', window: { center: -600, width: 1500 }, normalize: { min: 0, max: 1 } };

/** The same steps, one whole-frame pass each, with the exported building blocks. */
function stepByStep(image: DecodedImage, spec: TensorSpec): Float32Array {
  const frame = image.frames[0] as Int16Array;
  const rescale = { slope: image.meta.rescaleSlope, intercept: image.meta.rescaleIntercept };
  const hu = applyModalityLut(frame, rescale);
  const windowed = applyVoiWindow(hu, resolveWindow(image.meta, frame, rescale, spec.window), undefined, image.meta.photometricInterpretation === 'MONOCHROME1');
  return resizeBilinear(windowed, image.meta.columns, image.meta.rows, new Float32Array(spec.width * spec.height), spec.width, spec.height);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('imaging/to-tensor', () => {
  it('equals modality LUT → window → resize done one step at a time (LINEAR_EXACT, LINEAR, SIGMOID, MONOCHROME1)', () => {
    const cases: Array<[Partial<ImageMeta>, TensorSpec]> = [
      [{}, lung],
      [{}, { ...lung, window: undefined }],
      [{ voiLutFunction: 'SIGMOID' }, { ...lung, window: undefined }],
      [{ photometricInterpretation: 'MONOCHROME1', rescaleSlope: 0.5 }, lung],
      [{ windowCenter: undefined, windowWidth: undefined }, { ...lung, window: undefined, width: 64, height: 48 }],
    ];
    for (const [over, spec] of cases) {
      const image = ctImage(37, 53, 7, over);
      expect(maxAbsDiff(preprocessForModel(image, spec), stepByStep(image, spec)), JSON.stringify(over)).to.be.below(1e-6);
    }
  });

  it('lays out NHWC and NCHW with a monochrome slice replicated to 3 channels, normalised per channel', () => {
    const image = ctImage(30, 40, 3);
    const gray = preprocessForModel(image, lung);
    const spec: TensorSpec = { ...lung, channels: 3, normalize: { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] } };
    const nhwc = preprocessForModel(image, { ...spec, layout: 'NHWC' });
    const nchw = preprocessForModel(image, { ...spec, layout: 'NCHW' });
    const plane = lung.width * lung.height;
    for (let p = 0; p < plane; p++) {
      for (let k = 0; k < 3; k++) {
        const expected = ((gray[p] as number) - [0.5, 0.25, 0][k]!) / [0.5, 0.25, 2][k]!;
        expect(nhwc[p * 3 + k]).to.be.closeTo(expected, 1e-6);
        expect(nchw[k * plane + p]).to.equal(nhwc[p * 3 + k]);
      }
    }
    const scaled = preprocessForModel(image, { ...lung, normalize: { min: -1, max: 1 } });
    expect(maxAbsDiff(scaled, gray.map((v) => v * 2 - 1))).to.be.below(1e-6);
  });

  it('scales RGB samples to [0, 1] without a window, or takes their luminance for a one-channel model', () => {
    const frame = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const image: DecodedImage = { meta: { ...ctImage(2, 2, 1).meta, samplesPerPixel: 3, bitsAllocated: 8, bitsStored: 8, photometricInterpretation: 'RGB' }, frames: [frame] };
    const same: TensorSpec = { width: 2, height: 2, channels: 3, layout: 'NHWC', window: { center: 0, width: 1 }, normalize: { min: 0, max: 1 } };
    expect(Array.from(preprocessForModel(image, same))).to.deep.equal([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
    const luma = preprocessForModel(image, { ...same, channels: 1 });
    [0.299, 0.587, 0.114, 1].forEach((v, i) => expect(luma[i]).to.be.closeTo(v, 1e-6));
  });

  it('writes a batch into one preallocated array, slice by slice, and reads other frames', () => {
    const a = ctImage(32, 32, 1);
    const b = ctImage(32, 32, 2);
    const two: DecodedImage = { meta: { ...a.meta, numberOfFrames: 2 }, frames: [a.frames[0]!, b.frames[0]!] };
    const size = tensorSize(lung);
    const out = new Float32Array(size * 3).fill(NaN);
    preprocessBatch([{ image: a }, { image: two, frame: 1 }, { image: b }], lung, out);
    expect(Array.from(out.subarray(0, size))).to.deep.equal(Array.from(preprocessForModel(a, lung)));
    expect(Array.from(out.subarray(size, 2 * size))).to.deep.equal(Array.from(preprocessForModel(b, lung)));
    expect(Array.from(out.subarray(2 * size))).to.deep.equal(Array.from(preprocessForModel(b, lung)));
  });

  it('throws RangeError for a bad spec, frame or output, not for image content', () => {
    const image = ctImage(8, 8, 1);
    expect(() => preprocessForModel(image, { ...lung, width: 0 })).to.throw(RangeError);
    expect(() => preprocessForModel(image, { ...lung, normalize: { mean: 0, std: 0 } })).to.throw(RangeError);
    expect(() => preprocessForModel(image, { ...lung, channels: 3, normalize: { mean: [0, 0], std: [1, 1] } })).to.throw(RangeError);
    expect(() => preprocessForModel(image, lung, { frame: 1 })).to.throw(RangeError);
    expect(() => preprocessForModel(image, lung, { out: new Float32Array(10) })).to.throw(RangeError);
  });

  it('matches the demo model’s preprocessing reference within 1e-5 (models/chest-ct-nodule-demo/reference)', function () {
    const dir = join(REPO_ROOT, 'models/chest-ct-nodule-demo/reference');
    if (!existsSync(join(dir, 'hu_slices.i16')) || !existsSync(join(dir, 'hu_slices_preprocessed.f32'))) this.skip();
    const raw = readFileSync(join(dir, 'hu_slices.i16'));
    const hu = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const refRaw = readFileSync(join(dir, 'hu_slices_preprocessed.f32'));
    const ref = new Float32Array(refRaw.buffer.slice(refRaw.byteOffset, refRaw.byteOffset + refRaw.byteLength));
    const slices = hu.length / (512 * 512);
    const spec: TensorSpec = { width: 100, height: 100, channels: 1, layout: 'NHWC', window: { center: -600, width: 1500 }, normalize: { min: 0, max: 1 } };
    for (let n = 0; n < slices; n++) {
      // the reference slices are already HU: slope 1, intercept 0
      const image = ctImage(512, 512, 1, { rescaleIntercept: 0 });
      image.frames[0] = hu.subarray(n * 512 * 512, (n + 1) * 512 * 512);
      const ours = preprocessForModel(image, spec);
      expect(maxAbsDiff(ours, ref.subarray(n * 10_000, (n + 1) * 10_000)), `slice ${n}`).to.be.at.most(1e-5);
    }
  });
});
