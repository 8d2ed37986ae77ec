/**
 * Main-thread side of one inference worker: start it (a model that cannot load fails here), send batches. Crashes
 * follow the one worker policy (`workers/worker-client.ts`): runs in flight reject with GW_ERR_WORKER_FAILED, the
 * next run reloads the model in a fresh worker, and after repeated crashes `error` says why it stays failed.
 */
import { GatewayError } from '../errors.js';
import { WorkerCallError, WorkerClient, type WorkerCrash } from '../workers/index.js';
import type { ModelProtocol, RunResult, WorkerReady } from './worker-protocol.js';

export type { RunResult } from './worker-protocol.js';

/** One worker thread holding one loaded model. */
export class WorkerHost {
  private constructor(
    private readonly client: WorkerClient<ModelProtocol, WorkerReady>,
    readonly ready: WorkerReady,
    private readonly label: string,
  ) {}

  /** Starts the worker and waits for its model to load; rejects with the worker's own reason if it cannot. */
  static async start(script: URL, workerData: unknown, label: string, onCrash?: (crash: WorkerCrash) => void): Promise<WorkerHost> {
    let loaded = false;
    // A load failure is reported once, by this rejection (the runner logs it); crashes after the load go to onCrash.
    const report = (crash: WorkerCrash): void => {
      if (loaded) onCrash?.(crash);
    };
    const client = new WorkerClient<ModelProtocol, WorkerReady>({ name: label, script, workerData, onCrash: report });
    try {
      const ready = await client.start();
      loaded = true;
      return new WorkerHost(client, ready, label);
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  /** Why the worker stays failed (it kept crashing); undefined while it runs or will be restarted. */
  get error(): string | undefined {
    return this.client.failure?.message;
  }

  /** Runs in flight on this worker (sent, not yet answered). */
  get inFlight(): number {
    return this.client.inFlight;
  }

  /** Copies the first `n × size` values of `batch` into a buffer transferred to the worker; `batch` stays usable. */
  async run(batch: Float32Array, n: number, size: number): Promise<Float32Array> {
    return (await this.runTransferred(batch.slice(0, n * size), n, size)).output;
  }

  /**
   * Transfers `batch` itself (no copy): it is detached here until the result hands it back. Copying a 64-image
   * batch twice cost ~25 % of the throughput on 2 cores, because the main thread's memcpy and page faults take a
   * core from onnxruntime's 2 threads. `batch` must view its whole ArrayBuffer.
   */
  runTransferred(batch: Float32Array, n: number, size: number): Promise<RunResult> {
    if (batch.byteOffset !== 0 || batch.byteLength !== batch.buffer.byteLength || batch.length < n * size) {
      return Promise.reject(new RangeError('runTransferred needs a Float32Array over its whole buffer, at least n × size long'));
    }
    return this.client.call('run', { batch, n, size }, { transfer: [batch.buffer as ArrayBuffer] }).catch((err: unknown) => {
      if (!(err instanceof WorkerCallError)) throw err;
      throw new GatewayError('GW_ERR_INTERNAL', `${this.label} inference failed: ${err.message}`, { context: { engine: this.ready.engine }, cause: err });
    });
  }

  /** Lets queued runs finish, then ends the worker; after `graceMs` it is terminated (a hung engine must not hang shutdown). */
  close(graceMs = 30_000): Promise<void> {
    return this.client.close({ graceMs });
  }
}
