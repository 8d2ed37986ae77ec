import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Classifier } from '../../../src/ai/index.js';
import { OnnxRunner } from '../../../src/ai/onnx-runner.js';
import { GatewayError } from '../../../src/errors.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';
import { demoSpec, maxAbsDiff, referenceInputs, referenceProbabilities } from './demo-model.js';
import { capturingLogger } from '../../helpers/capturing-logger.js';

describe('ai/onnx-runner', () => {
  let runner: OnnxRunner;
  before(async () => {
    runner = await OnnxRunner.create(demoSpec(), { intraOpThreads: 2 });
  });
  after(async () => {
    await runner.close();
    runCleanups();
  });

  it('gives the exporter\'s reference probabilities within 1e-4 on the 16 reference slices', async () => {
    const p = await runner.run(referenceInputs(), 16);
    expect(p).to.have.length(16);
    const diff = maxAbsDiff(p, referenceProbabilities());
    expect(diff).to.be.below(1e-4);
    console.log(`      onnxruntime vs reference outputs.json: max |Δp| = ${diff.toExponential(2)}`);
  });

  it('reports engine, provider, device and version', () => {
    expect(runner.info).to.include({ engine: 'onnxruntime-node', provider: 'cpu', version: '1.30.0', parallelism: 1 });
    expect(runner.info.device).to.match(/^cpu: .+ × 2 threads$/);
    expect(runner.info.fallback).to.equal(undefined);
    expect(runner.outputsPerImage).to.equal(1);
  });

  it('asked for [cuda, cpu] on a machine without CUDA: runs on the CPU, reports it, and logs the fallback', async () => {
    const logger = capturingLogger();
    const classifier = await Classifier.create(demoSpec({ providers: ['cuda', 'cpu'] }), { logger });
    try {
      expect(classifier.info.provider).to.equal('cpu');
      expect(classifier.info.fallback).to.match(/^CUDA provider not available: /);
      const warn = logger.lines.find((l) => l.level === 'warn');
      expect(warn?.message).to.match(/^CUDA provider not available: .+; falling back to CPU$/);
      expect(warn?.fields).to.include({ modelId: 'chest-ct-nodule-demo', provider: 'cpu' });
      const r = await classifier.classify([referenceInputs().slice(0, 30_000)]);
      expect(r.provenance.provider).to.equal('cpu');
      expect(Math.abs((r.probabilities[0]?.[0] ?? NaN) - (referenceProbabilities()[0] ?? NaN))).to.be.below(1e-4);
    } finally {
      await classifier.close();
    }
  });

  it('asked for [cuda] only: fails saying CUDA is not available, not silently on the CPU', async () => {
    const err = await OnnxRunner.create(demoSpec({ providers: ['cuda'] })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(GatewayError);
    expect((err as GatewayError).code).to.equal('GW_ERR_CONFIG_INVALID');
    expect((err as Error).message).to.contain('CUDA provider not available');
  });

  it('refuses a model whose input shape differs from the config, naming both shapes', async () => {
    const spec = demoSpec();
    const err = await OnnxRunner.create({ ...spec, input: { ...spec.input, width: 64, height: 64 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).to.contain('[N,64,64,3]').and.contain('input.width/height/channels/layout');
  });

  it('refuses a file that is not an ONNX model with the path in the message', async () => {
    const file = join(tempDir('pag-ai-'), 'model.onnx');
    writeFileSync(file, 'not a model');
    const err = await OnnxRunner.create({ ...demoSpec(), path: file }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as GatewayError).code).to.equal('GW_ERR_CONFIG_INVALID');
    expect((err as Error).message).to.contain(file);
  });
});
