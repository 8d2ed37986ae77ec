/** The one interface both inference engines implement, and the provenance they report. */

export const ENGINES = ['onnxruntime-node', 'tfjs-wasm', 'tfjs-node-gpu'] as const;
export type Engine = (typeof ENGINES)[number];

/** Which engine, provider and device produce a model's numbers: logged at start, shown in /readyz, kept per result. */
export interface RunnerInfo {
  engine: Engine;
  provider: 'cpu' | 'cuda';
  /** Human-readable device, e.g. "cpu: AMD EPYC × 2 threads" or "cuda:0". */
  device: string;
  /** Version of the engine package. */
  version: string;
  /** Batches the runner can compute at the same time (worker count); callers keep this many in flight. */
  parallelism: number;
  /** Why a better provider listed in the spec was not used (e.g. CUDA missing); absent when the first one worked. */
  fallback?: string;
}

/** A loaded model that turns a batch of preprocessed images into output values, off the main event loop. */
export interface InferenceRunner {
  readonly info: RunnerInfo;
  /** Output values per image (the model's last output dimension, e.g. 1 for a single sigmoid). */
  readonly outputsPerImage: number;
  /**
   * Runs `n` images laid out back to back as the spec's input describes (NHWC float32 for the demo);
   * resolves with `n × outputsPerImage` values. `batch` is copied, so the caller may reuse it at once.
   */
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  /**
   * Like run, without the copy: `batch` (a Float32Array over its whole buffer, at least `n` images long) is moved
   * to the engine's thread, detached here, and handed back with the output for the next batch.
   */
  runTransferred(batch: Float32Array, n: number): Promise<{ output: Float32Array; batch: Float32Array }>;
  /** Why the runner stopped working (a worker crashed); undefined while it is healthy. */
  readonly error: string | undefined;
  /** Stops the runner's threads after the queued runs. */
  close(): Promise<void>;
}
