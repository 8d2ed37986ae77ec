/** One model ready to classify: picks its runner, batches images through it, and records provenance. */
import { GatewayError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { WorkerCrash } from '../workers/index.js';
import { inputSize, type ModelSpec } from './model-spec.js';
import { OnnxRunner, type OnnxRunnerOptions } from './onnx-runner.js';
import type { Engine, InferenceRunner, RunnerInfo } from './runner.js';
import { TfjsRunner, type TfjsRunnerOptions } from './tfjs-runner.js';

/** Spare batch buffers kept per model: enough for a few studies classified at once. */
const MAX_FREE_BUFFERS = 8;

export interface ClassifierOptions {
  logger?: Logger;
  /** Images per inference call; 16–64 all reach full speed on the demo CNN (docs/ai.md). Default 32. */
  batchSize?: number;
  /**
   * `auto` (default): the spec's format, and for an ONNX spec with a `tfjsPath`, that TF.js copy if onnxruntime
   * cannot load. `onnx` / `tfjs` force one engine (`tfjs` on an ONNX spec uses its `tfjsPath`).
   */
  engine?: 'auto' | 'onnx' | 'tfjs';
  onnx?: OnnxRunnerOptions;
  tfjs?: Omit<TfjsRunnerOptions, 'path'>;
}

/** Which model, engine and device produced a set of numbers, and how long it took. Stored with every result. */
export interface Provenance {
  modelId: string;
  modelVersion: string;
  engine: Engine;
  engineVersion: string;
  provider: 'cpu' | 'cuda';
  device: string;
  images: number;
  batchSize: number;
  /** Wall time of the whole call, queueing included. */
  ms: number;
}

export interface Classification {
  /** One row per input image, in input order; one column per `labels` entry. */
  probabilities: number[][];
  labels: readonly string[];
  provenance: Provenance;
}

/** A loaded model. Create with `Classifier.create`, or get one from the ModelRegistry. */
export class Classifier {
  /** Batch buffers handed back by the runner, reused so no batch allocates (page faults cost a core here). */
  private readonly freeBuffers: Float32Array[] = [];

  private constructor(
    readonly spec: ModelSpec,
    private readonly runner: InferenceRunner,
    readonly batchSize: number,
  ) {}

  /** Loads the model and logs which engine, provider and device it runs on (and any fallback). */
  static async create(spec: ModelSpec, options: ClassifierOptions = {}): Promise<Classifier> {
    const log = (options.logger ?? silentLogger).child({ component: 'ai', modelId: spec.id });
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
    const runner = await pickRunner(spec, options, log);
    const { info } = runner;
    // The brief's wording, so an operator grepping for it finds why the GPU is idle.
    if (info.fallback !== undefined) log.warn(`${info.fallback}; falling back to CPU`, { provider: info.provider, engine: info.engine });
    if (runner.outputsPerImage !== spec.output.labels.length) {
      await runner.close();
      throw new GatewayError(
        'GW_ERR_CONFIG_INVALID',
        `model ${spec.id} gives ${runner.outputsPerImage} outputs per image but output.labels lists ${spec.output.labels.length}`,
        { context: { model: spec.id, field: 'output.labels' } },
      );
    }
    return new Classifier(spec, runner, batchSize);
  }

  /** Engine, provider, device and version, as logged at load. */
  get info(): RunnerInfo {
    return this.runner.info;
  }

  /**
   * Classifies preprocessed images (each `width × height × channels` values in the spec's layout, as
   * imaging produces them). Batches of `batchSize` are kept `parallelism + 1` deep in flight so the engine never
   * waits for the next batch to be packed.
   */
  async classify(images: readonly Float32Array[]): Promise<Classification> {
    const started = performance.now();
    const size = inputSize(this.spec);
    images.forEach((img, i) => {
      if (img.length !== size) {
        throw new GatewayError('GW_ERR_INTERNAL', `image ${i} has ${img.length} values; model ${this.spec.id} takes ${size}`, {
          context: { model: this.spec.id },
        });
      }
    });
    const width = this.runner.outputsPerImage;
    const out = new Float32Array(images.length * width);
    let nextBatch = 0;
    const batches = Math.ceil(images.length / this.batchSize);
    // Each lane packs into its own buffer, which travels to the engine's thread and back: one memcpy per image.
    const lane = async (): Promise<void> => {
      let buffer = this.freeBuffers.pop() ?? new Float32Array(this.batchSize * size);
      for (let b = nextBatch++; b < batches; b = nextBatch++) {
        const first = b * this.batchSize;
        const n = Math.min(this.batchSize, images.length - first);
        for (let k = 0; k < n; k++) buffer.set(images[first + k] as Float32Array, k * size);
        const result = await this.runner.runTransferred(buffer, n);
        buffer = result.batch;
        if (result.output.length !== n * width) {
          throw new GatewayError('GW_ERR_INTERNAL', `model ${this.spec.id} returned ${result.output.length} values for ${n} images`, { context: { model: this.spec.id } });
        }
        out.set(result.output, first * width);
      }
      if (this.freeBuffers.length < MAX_FREE_BUFFERS) this.freeBuffers.push(buffer);
    };
    await Promise.all(Array.from({ length: Math.min(batches, this.runner.info.parallelism + 1) }, lane));
    const probabilities = Array.from({ length: images.length }, (_, i) => Array.from(out.subarray(i * width, (i + 1) * width)));
    const { info } = this.runner;
    return {
      probabilities,
      labels: this.spec.output.labels,
      provenance: {
        modelId: this.spec.id,
        modelVersion: this.spec.version,
        engine: info.engine,
        engineVersion: info.version,
        provider: info.provider,
        device: info.device,
        images: images.length,
        batchSize: this.batchSize,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
    };
  }

  /** Why the model stopped working after it loaded (a worker crashed); undefined while healthy. */
  get error(): string | undefined {
    return this.runner.error;
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}

async function pickRunner(spec: ModelSpec, options: ClassifierOptions, log: Logger): Promise<InferenceRunner> {
  const engine = options.engine ?? 'auto';
  // A crash is logged here, once; the runs it failed are logged where the analysis handles them.
  const onCrash = (crash: WorkerCrash): void =>
    log.error('worker crashed', { worker: crash.worker, reason: crash.reason, rejectedCalls: crash.rejectedCalls, willRestart: crash.willRestart });
  const tfjsPath = spec.format === 'tfjs' ? spec.path : spec.tfjsPath;
  if (engine === 'tfjs' || (engine === 'auto' && spec.format === 'tfjs')) {
    if (tfjsPath === undefined) {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', `model ${spec.id} has no TF.js copy: set tfjsPath or use the onnx engine`, {
        context: { model: spec.id, field: 'tfjsPath' },
      });
    }
    return TfjsRunner.create(spec, { ...options.tfjs, path: tfjsPath, onCrash });
  }
  if (spec.format !== 'onnx') {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `model ${spec.id} is ${spec.format}, not onnx`, { context: { model: spec.id, field: 'format' } });
  }
  try {
    return await OnnxRunner.create(spec, { ...options.onnx, onCrash });
  } catch (err) {
    if (engine !== 'auto' || tfjsPath === undefined) throw err;
    // The TF.js copy needs no native code, so it still runs where onnxruntime's binary cannot load.
    log.error('onnxruntime cannot load the model; using its TF.js copy', { error: (err as Error).message, tfjsPath });
    return TfjsRunner.create(spec, { ...options.tfjs, path: tfjsPath, onCrash });
  }
}
