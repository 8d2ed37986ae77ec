/** Worker thread holding one onnxruntime-node session: its run() is a synchronous native call, so it lives here. */
import { workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { createOnnxSession } from './onnx-session.js';
import { serveWorker, type WorkerModel } from './worker-protocol.js';
import type { OnnxWorkerData } from './onnx-runner.js';

serveWorker(async (): Promise<WorkerModel> => {
  const data = workerData as OnnxWorkerData;
  const created = await createOnnxSession(data);
  const { session } = created;
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (inputName === undefined || outputName === undefined) throw new Error(`${data.path} has no input or no output`);
  checkDims(data, session.inputMetadata[0], data.imageShape, 'input');
  const outputsPerImage = outputWidth(session.outputMetadata[0]);
  return {
    ready: {
      engine: 'onnxruntime-node',
      provider: created.provider,
      device: created.device,
      version: created.version,
      outputsPerImage,
      ...(created.fallbacks.length > 0 ? { fallback: created.fallbacks.join('; ') } : {}),
    },
    async run(batch, n) {
      const input = new ort.Tensor('float32', batch, [n, ...data.imageShape]);
      const result = await session.run({ [inputName]: input });
      const out = result[outputName];
      if (out === undefined || !(out.data instanceof Float32Array)) throw new Error(`output ${outputName} is not float32`);
      return out.data;
    },
    close: () => session.release(),
  };
});

/** Fails at load, not at the first study, when the model's fixed input dims disagree with the spec. */
function checkDims(data: OnnxWorkerData, meta: ort.InferenceSession.ValueMetadata | undefined, expected: readonly number[], what: string): void {
  if (meta === undefined || !meta.isTensor) return;
  const dims = meta.shape.slice(1);
  const bad = dims.length !== expected.length || dims.some((d, i) => typeof d === 'number' && d !== expected[i]);
  if (bad) {
    throw new Error(`${data.path}: ${what} ${meta.name} has shape [${meta.shape.join(',')}], but the model config describes [N,${expected.join(',')}] (input.width/height/channels/layout)`);
  }
}

/** Values per image in the first output: the product of its non-batch dims (1 for [N,1]). */
function outputWidth(meta: ort.InferenceSession.ValueMetadata | undefined): number {
  if (meta === undefined || !meta.isTensor) return 1;
  return meta.shape.slice(1).reduce<number>((acc, d) => acc * (typeof d === 'number' ? d : 1), 1);
}
