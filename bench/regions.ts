/**
 * bench:regions — what the region of a flagged finding costs: the demo model on the sample nodule study
 * (sample-dicom/DEMO001-nodule, 16 CT slices), the occlusion maps of its 3 best slices (`findingRegions`) against
 * the reference in the same run, classifying the 16 slices once. Best of 3. Usage: npm run bench:regions
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Classifier, loadModelSpecFile } from '../src/ai/index.js';
import { BestSlices, findingRegions } from '../src/flows/images/finding-regions.js';
import { type TensorSpec } from '../src/imaging/index.js';
import { prepareSlices } from '../src/imaging/slice-prep.js';
import { REPO_ROOT } from '../test/helpers/fixtures.js';

const ROUNDS = 3;

async function bestOf(run: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await run();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

async function main(): Promise<void> {
  const spec = loadModelSpecFile(join(REPO_ROOT, 'models', 'chest-ct-nodule-demo', 'model-config.json'));
  const tensorSpec: TensorSpec = { ...spec.input, channels: 3 };
  const dir = join(REPO_ROOT, 'sample-dicom', 'DEMO001-nodule');
  const files = readdirSync(dir).filter((f) => f.endsWith('.dcm')).sort();
  const tensors: Float32Array[] = [];
  const best = new BestSlices();
  const classifier = await Classifier.create(spec, { batchSize: 32 });
  try {
    for (const [i, f] of files.entries()) {
      const p = await prepareSlices(join(dir, f), tensorSpec);
      if (p.kind !== 'prepared') throw new Error(`${f}: ${p.reason}`);
      tensors.push(p.tensors[0] as Float32Array);
      const [prob] = (await classifier.classify(p.tensors)).probabilities.map((r) => r[0] ?? 0);
      best.offer({ sopInstanceUid: `2.25.${i + 1}`, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', frame: 0, frames: 1, rows: p.rows, columns: p.columns, probability: prob ?? 0, tensor: p.tensors[0] as Float32Array });
    }
    const score = (images: readonly Float32Array[]) => classifier.classify(images);
    const classifyMs = await bestOf(() => classifier.classify(tensors));
    let inferences = 0;
    const regionsMs = await bestOf(async () => {
      inferences = (await findingRegions(best.slices, tensorSpec, spec.output.threshold, score)).cost.inferences;
    });
    const { info } = classifier;
    console.log(`bench:regions — ${spec.id} on ${info.engine}/${info.provider} (${info.device}), node ${process.version}, best of ${ROUNDS}`);
    console.log(`  reference: classify the ${tensors.length} slices once: ${classifyMs.toFixed(0)} ms (${((tensors.length / classifyMs) * 1000).toFixed(0)} images/s)`);
    console.log(`  regions of the 3 best slices: ${inferences} inferences, ${regionsMs.toFixed(0)} ms per flagged study (${((inferences / regionsMs) * 1000).toFixed(0)} images/s)`);
  } finally {
    await classifier.close();
  }
}

await main();
