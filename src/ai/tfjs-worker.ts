/** Worker thread holding one TF.js layers model on tfjs-node-gpu if asked for and installed, else wasm SIMD; never `cpu`. */
import { cpus } from 'node:os';
import { workerData } from 'node:worker_threads';
import type * as TfModule from '@tensorflow/tfjs';
import { countFlopsPerImage, type LayerShape } from './model-flops.js';
import { readLayersModelFiles } from './tfjs-model-files.js';
import type { TfjsWorkerData } from './tfjs-runner.js';
import { serveWorker, type WorkerModel, type WorkerReady } from './worker-protocol.js';

type Tf = typeof TfModule;

/** Optional at install: downloads libtensorflow, so it exists only where a site installed it on a CUDA host. */
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';

interface Engine {
  tf: Tf;
  ready: Omit<WorkerReady, 'outputsPerImage'>;
}

serveWorker(async (): Promise<WorkerModel> => {
  const data = workerData as TfjsWorkerData;
  const { tf, ready } = await loadEngine(data);
  tf.enableProdMode(); // skips per-op NaN/shape debug checks
  const files = readLayersModelFiles(data.path);
  const model = await tf.loadLayersModel(tf.io.fromMemory(files));
  const expected = [data.height, data.width, data.channels];
  const inShape = model.inputs[0]?.shape.slice(1) ?? [];
  if (inShape.length !== 3 || inShape.some((d, i) => d !== null && d !== expected[i])) {
    throw new Error(`${data.path}: input shape [N,${inShape.join(',')}] differs from the model config's [N,${expected.join(',')}] (NHWC)`);
  }
  const outputsPerImage = (model.outputs[0]?.shape.slice(1) ?? []).reduce<number>((a, d) => a * (d ?? 1), 1);
  const layers: LayerShape[] = model.layers.map((l) => {
    const out = l.outputShape;
    const kernel = l.weights[0]?.shape;
    return {
      className: l.getClassName(),
      outputShape: Array.isArray(out[0]) ? [] : (out as Array<number | null>),
      ...(kernel === undefined ? {} : { kernelShape: kernel.map((d) => d ?? 1) }),
    };
  });
  return {
    ready: { ...ready, outputsPerImage, flopsPerImage: countFlopsPerImage(layers) },
    async run(batch, n) {
      const x = tf.tensor4d(batch, [n, data.height, data.width, data.channels]);
      try {
        const y = model.predict(x, { batchSize: n });
        const out = Array.isArray(y) ? y[0] : y;
        if (out === undefined) throw new Error('model returned no output');
        const values = await out.data();
        tf.dispose(y);
        if (!(values instanceof Float32Array)) throw new Error(`output dtype ${out.dtype} is not float32`);
        return values;
      } finally {
        x.dispose();
      }
    },
    close: async () => {
      model.dispose();
    },
  };
});

/** tfjs-node-gpu when 'cuda' is allowed and it imports; else the wasm backend, or a clear failure. */
async function loadEngine(data: TfjsWorkerData): Promise<Engine> {
  let fallback: string | undefined;
  if (data.providers.includes('cuda')) {
    try {
      const specifier: string = TFJS_NODE_GPU; // a variable, so tsc does not need the optional package's types
      const mod: unknown = await import(specifier);
      const tf = asTf(mod);
      await tf.ready();
      return { tf, ready: { engine: 'tfjs-node-gpu', provider: 'cuda', device: `tfjs-node-gpu backend ${tf.getBackend()} (libtensorflow)`, version: tf.version.tfjs } };
    } catch (err) {
      // Not installed is the normal case when the spec did not ask for cuda explicitly: say nothing then.
      if (data.explicitProviders) fallback = `CUDA provider not available: ${TFJS_NODE_GPU} cannot be loaded (${firstLine(err)})`;
    }
  }
  if (!data.providers.includes('cpu')) throw new Error(fallback ?? `no usable provider in [${data.providers.join(',')}]`);
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  let ok = false;
  try {
    ok = await tf.setBackend('wasm');
  } catch (err) {
    throw new Error(`the tfjs wasm backend failed to start: ${firstLine(err)}; the pure-JS cpu backend is ~30× slower and is never used`);
  }
  if (!ok || tf.getBackend() !== 'wasm') {
    throw new Error('the tfjs wasm backend failed to start; the pure-JS cpu backend is ~30× slower and is never used');
  }
  // Remove the pure-JS backend so nothing can fall back to it later (e.g. after a wasm kernel error).
  tf.removeBackend('cpu');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return {
    tf,
    ready: {
      engine: 'tfjs-wasm',
      provider: 'cpu',
      device: `cpu: ${cpu}, wasm ${simd ? 'SIMD' : 'without SIMD'}, 1 thread per worker`,
      version: tf.version.tfjs,
      ...(fallback === undefined ? {} : { fallback }),
    },
  };
}

function asTf(mod: unknown): Tf {
  const candidate = typeof mod === 'object' && mod !== null && 'default' in mod ? mod.default : mod;
  if (typeof candidate === 'object' && candidate !== null && 'loadLayersModel' in candidate && 'ready' in candidate) {
    return candidate as Tf;
  }
  throw new Error(`${TFJS_NODE_GPU} does not look like TensorFlow.js`);
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]?.trim() ?? text;
}
