/** The protocol between a runner and its inference worker thread, and the worker-side serving of one model. */
import { serve, transferring } from '../workers/index.js';
import type { RunnerInfo } from './runner.js';

/** What a worker reports once its model is loaded. `parallelism` is set by the host, not the worker. */
export type WorkerReady = Omit<RunnerInfo, 'parallelism'> & {
  outputsPerImage: number;
  /** FLOPs per image counted from the model's layers, where the engine exposes them (TF.js). */
  flopsPerImage?: number;
};

/** A run's output, and the input buffer back from the worker for the next batch. */
export interface RunResult {
  output: Float32Array;
  batch: Float32Array;
}

/** `batch` may be longer than `n × size` (a reused buffer); it is handed back with the result for reuse. */
export type ModelProtocol = {
  run: { request: { batch: Float32Array; n: number; size: number }; reply: RunResult };
};

/** A model loaded inside a worker: computes one batch synchronously or asynchronously. */
export interface WorkerModel {
  ready: WorkerReady;
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Worker side: loads the model with `init`, reports ready (or why it could not), then serves runs. */
export function serveWorker(init: () => Promise<WorkerModel>): void {
  serve<ModelProtocol, WorkerReady>(async () => {
    const model = await init();
    return {
      ready: model.ready,
      // One run at a time: the engine already uses every thread it was given, so overlapping runs only thrash.
      serial: true,
      handlers: {
        run: async ({ batch, n, size }) => {
          const output = await model.run(batch.subarray(0, n * size), n);
          // A fresh copy, so the transfer never detaches memory the engine still owns.
          const copy = output.slice();
          return transferring({ output: copy, batch }, [copy.buffer, batch.buffer as ArrayBuffer]);
        },
      },
      close: () => model.close(),
    };
  });
}
