/** ONNX models on onnxruntime-node, in a worker thread so the main event loop never waits for a batch. */
import { availableParallelism } from 'node:os';
import { GatewayError } from '../errors.js';
import { inputShape, inputSize, type ExecutionProvider, type ModelSpec } from './model-spec.js';
import type { InferenceRunner, RunnerInfo } from './runner.js';
import type { WorkerCrash } from '../workers/index.js';
import { WorkerHost, type RunResult } from './worker-host.js';

/** Sent to onnx-worker.ts as workerData. */
export interface OnnxWorkerData {
  path: string;
  providers: ExecutionProvider[];
  intraOpThreads: number;
  /** Per-image dims in the spec's layout, e.g. [100,100,3] for NHWC. */
  imageShape: number[];
}

export interface OnnxRunnerOptions {
  /** onnxruntime intra-op threads; default: the cores this process may use. */
  intraOpThreads?: number;
  /** Told when the worker crashes (its runs in flight fail; the next run reloads the model). */
  onCrash?: (crash: WorkerCrash) => void;
}

/**
 * Runs an ONNX model. Why a worker: onnxruntime-node's `session.run` is a synchronous native call made from a
 * `setImmediate` on the calling thread (onnxruntime-node 1.30 lib/backend.ts), so on the main thread it blocks
 * the event loop for a whole batch (measured at batch 64 on the 2 busy cores: a median 192 ms between 10 ms timer
 * ticks). In a worker, batch buffers move across threads without a copy (runTransferred).
 */
export class OnnxRunner implements InferenceRunner {
  private constructor(
    private readonly host: WorkerHost,
    readonly info: RunnerInfo,
    private readonly imageSize: number,
  ) {}

  /**
   * Loads `spec.path` with the spec's providers, best first (default `['cpu']`). Falls back provider by provider;
   * `info.fallback` says why. Rejects with GW_ERR_CONFIG_INVALID when no provider can load the model.
   */
  static async create(spec: Pick<ModelSpec, 'id' | 'path' | 'input' | 'providers'>, options: OnnxRunnerOptions = {}): Promise<OnnxRunner> {
    const data: OnnxWorkerData = {
      path: spec.path,
      providers: [...(spec.providers ?? ['cpu'])],
      intraOpThreads: options.intraOpThreads ?? availableParallelism(),
      imageShape: inputShape(spec, 1).slice(1),
    };
    let host: WorkerHost;
    try {
      host = await WorkerHost.start(new URL('./onnx-worker.js', import.meta.url), data, 'onnxruntime', options.onCrash);
    } catch (err) {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', `model ${spec.id}: onnxruntime-node cannot load ${spec.path}: ${(err as Error).message}`, {
        context: { model: spec.id, file: spec.path },
        cause: err,
      });
    }
    const { outputsPerImage: _outputs, flopsPerImage: _flops, ...ready } = host.ready;
    return new OnnxRunner(host, { ...ready, parallelism: 1 }, inputSize(spec));
  }

  get outputsPerImage(): number {
    return this.host.ready.outputsPerImage;
  }

  run(batch: Float32Array, n: number): Promise<Float32Array> {
    if (batch.length < n * this.imageSize) {
      return Promise.reject(new GatewayError('GW_ERR_INTERNAL', `batch holds ${batch.length} values, ${n} images need ${n * this.imageSize}`));
    }
    return this.host.run(batch, n, this.imageSize);
  }

  runTransferred(batch: Float32Array, n: number): Promise<RunResult> {
    return this.host.runTransferred(batch, n, this.imageSize);
  }

  get error(): string | undefined {
    return this.host.error;
  }

  close(): Promise<void> {
    return this.host.close();
  }
}
