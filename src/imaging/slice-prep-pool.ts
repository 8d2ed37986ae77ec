/**
 * A small pool of worker threads that turn stored instances into model input (`prepareSlices`), so the analysis
 * never decodes on the main thread. Requests go to the worker with the fewest in flight. A worker that dies fails
 * only its own requests (GW_ERR_WORKER_FAILED) while the others keep serving; it restarts on its next request, and
 * one that keeps crashing is left out until every worker has failed (crash policy: `workers/worker-client.ts`).
 */
import { WorkerClient, type WorkerCrash } from '../workers/index.js';
import type { PreparedSlices } from './slice-prep.js';
import type { TensorSpec } from './to-tensor.js';

export type SlicePrepProtocol = {
  prepare: { request: { path: string; spec: TensorSpec; frame?: number }; reply: PreparedSlices };
};

export class SlicePreparer {
  private readonly workers: Array<WorkerClient<SlicePrepProtocol, null>> = [];

  constructor(
    readonly threads: number,
    options: { onCrash?: (crash: WorkerCrash) => void } = {},
  ) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    for (let i = 0; i < threads; i++) {
      const client = new WorkerClient<SlicePrepProtocol, null>({
        name: `slice preparation ${i + 1}/${threads}`,
        script: new URL('./slice-prep-worker.js', import.meta.url),
        ...(options.onCrash === undefined ? {} : { onCrash: options.onCrash }),
      });
      client.start().catch(() => undefined); // warm now, as before; a failure is reported through onCrash
      this.workers.push(client);
    }
  }

  /**
   * Decodes and preprocesses the file at `path` for a model with input `spec` (only `frame`, 0-based, when given);
   * rejects if the file cannot be read or the worker died.
   */
  prepare(path: string, spec: TensorSpec, frame?: number): Promise<PreparedSlices> {
    const serving = this.workers.filter((w) => w.failure === undefined);
    // All failed: the first one rejects with its reason.
    const worker = serving.reduce<WorkerClient<SlicePrepProtocol, null> | undefined>((a, b) => (a === undefined || b.inFlight < a.inFlight ? b : a), undefined) ?? this.workers[0];
    if (worker === undefined) return Promise.reject(new Error('slice preparer has no workers'));
    return worker.call('prepare', frame === undefined ? { path, spec } : { path, spec, frame });
  }

  /** Stops the workers at once: requests in flight reject with GW_ERR_SHUTTING_DOWN. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
