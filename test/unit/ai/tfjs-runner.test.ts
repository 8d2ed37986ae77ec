import { expect } from 'chai';
import { OnnxRunner } from '../../../src/ai/onnx-runner.js';
import { TfjsRunner } from '../../../src/ai/tfjs-runner.js';
import { GatewayError } from '../../../src/errors.js';
import { demoSpec, maxAbsDiff, referenceInputs, referenceProbabilities } from './demo-model.js';

describe('ai/tfjs-runner', () => {
  let runner: TfjsRunner;
  before(async () => {
    const spec = demoSpec();
    runner = await TfjsRunner.create(spec, { path: spec.tfjsPath, workers: 2 });
  });
  after(() => runner.close());

  it('runs on wasm with SIMD in 2 workers, never the pure-JS cpu backend', () => {
    expect(runner.info).to.include({ engine: 'tfjs-wasm', provider: 'cpu', version: '4.22.0', parallelism: 2 });
    expect(runner.info.device).to.contain('wasm SIMD').and.contain('× 2 workers');
  });

  it('gives the exporter\'s reference probabilities within 1e-4, and the ONNX copy\'s within 1e-4', async () => {
    const inputs = referenceInputs();
    const tfjs = await runner.run(inputs, 16);
    const onnx = await OnnxRunner.create(demoSpec());
    let onnxOut: Float32Array;
    try {
      onnxOut = await onnx.run(inputs, 16);
    } finally {
      await onnx.close();
    }
    const vsReference = maxAbsDiff(tfjs, referenceProbabilities());
    const vsOnnx = maxAbsDiff(tfjs, onnxOut);
    expect(vsReference).to.be.below(1e-4);
    expect(vsOnnx).to.be.below(1e-4);
    console.log(`      tfjs vs reference: max |Δp| = ${vsReference.toExponential(2)}; tfjs vs onnxruntime: ${vsOnnx.toExponential(2)}`);
  });

  it('keeps each answer with its batch when batches run at once on two workers', async () => {
    const inputs = referenceInputs();
    const ref = referenceProbabilities();
    // Batch k holds slices k and k+1: if replies crossed between workers, the values would not line up.
    const runs = Array.from({ length: 6 }, (_, k) => runner.run(inputs.subarray(k * 30_000), 2));
    const outs = await Promise.all(runs);
    outs.forEach((o, k) => expect(maxAbsDiff(o, ref.slice(k, k + 2))).to.be.below(1e-4));
  });

  it('counts 166 MFLOP per image from the model\'s conv and dense layers', () => {
    // 2 × (8.30 M + 40.72 M + 32.51 M + 1.64 M + 128) multiply-adds (MODEL_CARD.md)
    expect(runner.flopsPerImage).to.equal(166_333_440);
  });

  it('refuses NCHW for a TF.js layers model', async () => {
    const spec = demoSpec();
    const err = await TfjsRunner.create({ ...spec, input: { ...spec.input, layout: 'NCHW' } }, { path: spec.tfjsPath }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as GatewayError).code).to.equal('GW_ERR_CONFIG_INVALID');
    expect((err as Error).message).to.contain('NHWC');
  });
});
