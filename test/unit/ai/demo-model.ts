/** The shipped demo model and its reference data (models/chest-ct-nodule-demo), shared by the ai unit tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelSpecFile, type ModelSpec } from '../../../src/ai/index.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

export const DEMO_DIR = join(REPO_ROOT, 'models', 'chest-ct-nodule-demo');
export const IMAGE_SIZE = 100 * 100 * 3;

export function demoSpec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return { ...loadModelSpecFile(join(DEMO_DIR, 'model-config.json')), ...overrides };
}

/** reference/inputs.f32: 16 preprocessed slices, NHWC float32 little-endian, back to back. */
export function referenceInputs(): Float32Array {
  const buf = readFileSync(join(DEMO_DIR, 'reference', 'inputs.f32'));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** reference/outputs.json probabilities (torch), one per slice. */
export function referenceProbabilities(): number[] {
  const json = JSON.parse(readFileSync(join(DEMO_DIR, 'reference', 'outputs.json'), 'utf8')) as { probabilities: number[] };
  return json.probabilities;
}

/** The 16 reference slices as separate images, as imaging hands them to a Classifier. */
export function referenceImages(): Float32Array[] {
  const all = referenceInputs();
  return Array.from({ length: all.length / IMAGE_SIZE }, (_, i) => all.slice(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  return max;
}
