/** TF.js layers models in worker threads: one tfjs instance per worker, batches spread over the workers. */
import { availableParallelism } from 'node:os';
import { GatewayError } from '../errors.js';
import { inputSize, type ExecutionProvider, type ModelSpec } from './model-spec.js';
import type { InferenceRunner, RunnerInfo } from './runner.js';
import type { WorkerCrash } from '../workers/index.js';
import { WorkerHost, type RunResult } from './worker-host.js';

/** Sent to tfjs-worker.ts as workerData. */
export interface TfjsWorkerData {
  path: string;
  providers: ExecutionProvider[];
  /** Whether the spec listed providers itself (then a missing tfjs-node-gpu is reported as a fallback). */
  explicitProviders: boolean;
  width: number;
  height: number;
  channels: number;
}

export interface TfjsRunnerOptions {
  /** Worker threads, each with its own wasm instance; default: the cores this process may use. */
  workers?: number;
  /** Model file to load instead of `spec.path` (e.g. an ONNX spec's `tfjsPath`). */
  path?: string;
  /** Told when a worker crashes (its runs in flight fail; its next run reloads the model). */
  onCrash?: (crash: WorkerCrash) => void;
}

/**
 * Runs a TF.js layers model. Why workers: tfjs-wasm's own threads do not start under Node (WASM_HAS_MULTITHREAD_SUPPORT
 * is hard-wired off, tfjs#3830), so parallelism comes from one single-threaded wasm instance per worker
 * (measured 1.8× with 2 workers on 2 cores). With tfjs-node-gpu one worker drives the GPU.
 * Providers: absent → use tfjs-node-gpu if installed, else wasm; `['cpu']` → wasm only; `['cuda']` → GPU or fail.
 */
export class TfjsRunner implements InferenceRunner {
  private next = 0;

  private constructor(
    private readonly hosts: WorkerHost[],
    readonly info: RunnerInfo,
    private readonly imageSize: number,
  ) {}

  static async create(spec: Pick<ModelSpec, 'id' | 'path' | 'input' | 'providers'>, options: TfjsRunnerOptions = {}): Promise<TfjsRunner> {
    const path = options.path ?? spec.path;
    if (spec.input.layout !== 'NHWC') {
      throw new GatewayError('GW_ERR_CONFIG_INVALID', `model ${spec.id}: TF.js layers models take NHWC input, the config says ${spec.input.layout}`, {
        context: { model: spec.id, field: 'input.layout' },
      });
    }
    const data: TfjsWorkerData = {
      path,
      providers: [...(spec.providers ?? ['cuda', 'cpu'])],
      explicitProviders: spec.providers !== undefined,
      width: spec.input.width,
      height: spec.input.height,
      channels: spec.input.channels,
    };
    const script = new URL('./tfjs-worker.js', import.meta.url);
    const wanted = Math.max(1, options.workers ?? availableParallelism());
    // A GPU needs one worker and wasm one per core; only a possible tfjs-node-gpu makes the first worker decide.
    const gpuPossible = data.providers.includes('cuda') && resolvable(TFJS_NODE_GPU);
    const launch = (n: number): Promise<WorkerHost[]> => startAll(n, () => start(spec.id, path, script, data, options.onCrash));
    const hosts = await launch(gpuPossible ? 1 : wanted);
    const first = hosts[0];
    if (first === undefined) throw new Error('no tfjs worker started');
    if (gpuPossible && first.ready.engine === 'tfjs-wasm' && wanted > 1) {
      try {
        hosts.push(...(await launch(wanted - 1)));
      } catch (err) {
        await first.close();
        throw err;
      }
    }
    const count = hosts.length;
    const { outputsPerImage: _outputs, flopsPerImage: _flops, ...ready } = first.ready;
    const device = count > 1 ? `${ready.device} × ${count} workers` : ready.device;
    return new TfjsRunner(hosts, { ...ready, device, parallelism: count }, inputSize(spec));
  }

  get outputsPerImage(): number {
    return this.firstHost.ready.outputsPerImage;
  }

  /** FLOPs per image counted from the loaded model's conv and dense layers. */
  get flopsPerImage(): number | undefined {
    return this.firstHost.ready.flopsPerImage;
  }

  /** Sends the batch to the least busy worker; ties go round-robin, so equal batches spread evenly. */
  run(batch: Float32Array, n: number): Promise<Float32Array> {
    if (batch.length < n * this.imageSize) {
      return Promise.reject(new GatewayError('GW_ERR_INTERNAL', `batch holds ${batch.length} values, ${n} images need ${n * this.imageSize}`));
    }
    return this.pickHost().run(batch, n, this.imageSize);
  }

  runTransferred(batch: Float32Array, n: number): Promise<RunResult> {
    return this.pickHost().runTransferred(batch, n, this.imageSize);
  }

  private pickHost(): WorkerHost {
    let bestIndex = 0;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let k = 0; k < this.hosts.length; k++) {
      const i = (this.next + k) % this.hosts.length;
      const load = this.hosts[i]?.inFlight ?? Number.POSITIVE_INFINITY;
      if (load < bestLoad) {
        bestLoad = load;
        bestIndex = i;
      }
    }
    this.next = (bestIndex + 1) % this.hosts.length;
    return this.hosts[bestIndex] ?? this.firstHost;
  }

  get error(): string | undefined {
    return this.hosts.map((h) => h.error).find((e) => e !== undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.close()));
  }

  private get firstHost(): WorkerHost {
    const h = this.hosts[0];
    if (h === undefined) throw new Error('TfjsRunner has no workers');
    return h;
  }
}

/** Optional at install (it downloads libtensorflow), so present only where a site added it. */
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';

function resolvable(specifier: string): boolean {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/** Starts n workers at once; if any fails, stops the others and rethrows its reason. */
async function startAll(n: number, startOne: () => Promise<WorkerHost>): Promise<WorkerHost[]> {
  const settled = await Promise.allSettled(Array.from({ length: n }, startOne));
  const hosts = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed === undefined) return hosts;
  await Promise.all(hosts.map((h) => h.close()));
  throw failed.reason;
}

async function start(id: string, path: string, script: URL, data: TfjsWorkerData, onCrash: TfjsRunnerOptions['onCrash']): Promise<WorkerHost> {
  try {
    return await WorkerHost.start(script, data, 'tfjs', onCrash);
  } catch (err) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `model ${id}: tfjs cannot load ${path}: ${(err as Error).message}`, {
      context: { model: id, file: path },
      cause: err,
    });
  }
}
