import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Classifier, occlusionMap, type ScoreBatch } from '../../../src/ai/index.js';
import { largestComponent, pixelHull } from '../../../src/ai/occlusion-map.js';
import { inputToImagePoints, type TensorSpec } from '../../../src/imaging/index.js';
import { preprocessForModel } from '../../../src/imaging/to-tensor.js';
import { ctMeta } from '../../helpers/image-meta.js';
import { DEMO_DIR, demoSpec } from './demo-model.js';

type Point = readonly [number, number];
const bbox = (points: readonly Point[]) => ({
  c0: Math.min(...points.map((p) => p[0])),
  c1: Math.max(...points.map((p) => p[0])),
  r0: Math.min(...points.map((p) => p[1])),
  r1: Math.max(...points.map((p) => p[1])),
});

/** Winding-free point-in-convex-polygon test (the hull is convex and closed). */
function inside(points: readonly Point[], [x, y]: Point): boolean {
  let sign = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const [ax, ay] = points[i] as Point;
    const [bx, by] = points[i + 1] as Point;
    const cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    if (cross !== 0) {
      if (sign !== 0 && Math.sign(cross) !== sign) return false;
      sign = Math.sign(cross);
    }
  }
  return true;
}

describe('ai/occlusion-map', () => {
  describe('with a tiny deterministic model that reacts to one blob', () => {
    // 64 × 48 one-channel input; the "model" scores the mean brightness of rows 20..29, columns 40..51.
    const input = { width: 64, height: 48, channels: 1, layout: 'NHWC' } as const;
    const image = new Float32Array(64 * 48).fill(0.2);
    for (let r = 20; r < 30; r++) for (let c = 40; c < 52; c++) image[r * 64 + c] = 1;
    const calls: number[] = [];
    const score: ScoreBatch = async (images) => {
      calls.push(images.length);
      return {
        probabilities: images.map((x) => {
          let s = 0;
          for (let r = 20; r < 30; r++) for (let c = 40; c < 52; c++) s += x[r * 64 + c] as number;
          return [s / 120];
        }),
      };
    };

    it('finds a closed polygon over the blob, in input coordinates (column, row)', async () => {
      calls.length = 0;
      const map = await occlusionMap(image, input, score);
      expect(map.baseline).to.equal(1);
      // one 6 × 6 patch hides 36 of the blob's 120 pixels: drop 36·(1 − mean)/120 ≈ 0.23
      expect(map.maxDrop).to.be.closeTo((36 * (1 - (0.2 + (0.8 * 120) / 3072))) / 120, 1e-6);
      const region = map.region ?? [];
      expect(region[0]).to.deep.equal(region[region.length - 1]);
      const box = bbox(region);
      // the region overlaps the blob's centre and stays near it (patch 6, stride 4 at this size)
      expect(inside(region, [46, 25])).to.equal(true);
      expect(box.c0).to.be.within(30, 46);
      expect(box.c1).to.be.within(46, 60);
      expect(box.r0).to.be.within(12, 25);
      expect(box.r1).to.be.within(25, 38);
      // batched: the baseline rides with the first batch; no call exceeds the batch size
      expect(calls.reduce((a, b) => a + b, 0)).to.equal(map.inferences).and.equal(map.positions + 1);
      expect(Math.max(...calls)).to.be.at.most(64);
    });

    it('caps the positions by widening the stride, and batches as asked', async () => {
      calls.length = 0;
      const map = await occlusionMap(image, input, score, { maxPositions: 20, batch: 7 });
      expect(map.positions).to.be.at.most(20);
      expect(map.stride).to.be.greaterThan(4);
      expect(Math.max(...calls)).to.equal(7);
    });

    it('gives no region when nothing lowers the score', async () => {
      const flat: ScoreBatch = async (images) => ({ probabilities: images.map(() => [0.9]) });
      const map = await occlusionMap(image, input, flat);
      expect(map.region).to.equal(undefined);
      expect(map.maxDrop).to.equal(0);
    });

    it('fills NCHW patches per channel', async () => {
      const three = { width: 64, height: 48, channels: 3, layout: 'NCHW' } as const;
      const x = new Float32Array(3 * 64 * 48);
      x.set(image, 64 * 48); // the blob only in channel 1
      const plane = 64 * 48;
      const channelOne: ScoreBatch = async (images) => ({
        probabilities: images.map((t) => {
          let sum = 0;
          for (let r = 20; r < 30; r++) for (let c = 40; c < 52; c++) sum += t[plane + r * 64 + c] as number;
          return [sum / 120];
        }),
      });
      const map = await occlusionMap(x, three, channelOne);
      expect(inside(map.region ?? [], [46.5, 25.5])).to.equal(true);
    });

    it('largestComponent and pixelHull: the biggest 4-connected set and its corner hull', () => {
      const mask = new Uint8Array(5 * 4);
      for (const i of [0, 6, 7, 8, 12, 13]) mask[i] = 1; // {0} alone (diagonal to 6), {6,7,8,12,13} together
      expect(largestComponent(mask, 5, 4).sort((a, b) => a - b)).to.deep.equal([6, 7, 8, 12, 13]);
      const hull = pixelHull([6], 5);
      expect(hull).to.have.length(5);
      expect(hull[0]).to.deep.equal(hull[4]);
      expect(new Set(hull.map((p) => p.join(',')))).to.deep.equal(new Set(['1,1', '2,1', '2,2', '1,2']));
      // an L of three pixels (row 1: columns 1-2; row 2: column 2): the hull cuts the inner corner
      expect(new Set(pixelHull([6, 7, 12], 5).map((p) => p.join(',')))).to.deep.equal(new Set(['1,1', '3,1', '3,3', '2,3', '1,2']));
    });
  });

  describe('with the shipped demo model on a synthetic CT slice with a known nodule', function () {
    this.timeout(60_000);
    let classifier: Classifier;
    before(async () => {
      classifier = await Classifier.create(demoSpec(), { batchSize: 32 });
    });
    after(() => classifier.close());

    it('the region on the stored 512 × 512 image covers the nodule (reference slice seed 2 #17, 11.2 mm)', async () => {
      const raw = readFileSync(join(DEMO_DIR, 'reference', 'hu_slices.i16'));
      const hu = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const meta = JSON.parse(readFileSync(join(DEMO_DIR, 'reference', 'hu_slices.json'), 'utf8')) as {
        pixelSpacingMm: [number, number];
        slices: Array<{ nodules: Array<{ diameter_mm: number; x_mm: number; y_mm: number }>; probability: number }>;
      };
      const slice = meta.slices[1];
      const nodule = slice?.nodules[0];
      if (slice === undefined || nodule === undefined) throw new Error('reference slice 1 has no nodule');
      const spec: TensorSpec = { ...demoSpec().input, channels: 3, layout: 'NHWC' };
      const image = { meta: ctMeta({ rows: 512, columns: 512, rescaleIntercept: 0 }), frames: [hu.subarray(512 * 512, 2 * 512 * 512)] };
      const tensor = preprocessForModel(image, spec);
      const started = performance.now();
      const map = await occlusionMap(tensor, spec, (images) => classifier.classify(images));
      const ms = performance.now() - started;
      console.log(`        occlusion map: ${map.positions} positions, ${map.inferences} inferences, ${ms.toFixed(0)} ms, drop ${map.maxDrop.toFixed(3)}`);
      expect(map.baseline).to.be.closeTo(slice.probability, 1e-3);
      const region = inputToImagePoints(map.region ?? [], spec, { rows: 512, columns: 512 });
      // make_synthetic_ct.py: index = mm / spacing + (512 − 1) / 2; SCOORD edge coordinate = index + ½
      const mm = meta.pixelSpacingMm[0];
      const centre: Point = [nodule.x_mm / mm + 255.5 + 0.5, nodule.y_mm / mm + 255.5 + 0.5];
      expect(inside(region, centre), `nodule centre ${centre.join(',')} in ${JSON.stringify(region)}`).to.equal(true);
      // and the region is local: well under a quarter of the image
      const box = bbox(region);
      expect((box.c1 - box.c0) * (box.r1 - box.r0)).to.be.below((512 * 512) / 4);
    });
  });
});
