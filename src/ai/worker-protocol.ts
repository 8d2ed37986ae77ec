/** Messages between a runner and its inference worker thread, and the worker-side serving loop. */
import { parentPort } from 'node:worker_threads';
import type { RunnerInfo } from './runner.js';

/** What a worker reports once its model is loaded. `parallelism` is set by the host, not the worker. */
export type WorkerReady = Omit<RunnerInfo, 'parallelism'> & {
  outputsPerImage: number;
  /** FLOPs per image counted from the model's layers, where the engine exposes them (TF.js). */
  flopsPerImage?: number;
};

/** `batch` may be longer than `n × size` (a reused buffer); it is handed back with the result for reuse. */
export type HostMessage = { kind: 'run'; id: number; batch: Float32Array; n: number; size: number } | { kind: 'close' };

export type WorkerMessage =
  | { kind: 'ready'; ready: WorkerReady }
  | { kind: 'init-failed'; message: string }
  | { kind: 'result'; id: number; output: Float32Array; batch: Float32Array }
  | { kind: 'run-failed'; id: number; message: string };

/** A model loaded inside a worker: computes one batch synchronously or asynchronously. */
export interface WorkerModel {
  ready: WorkerReady;
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Worker side: loads the model with `init`, reports ready (or the reason it failed), then serves runs one at a
 * time in arrival order. Errors become messages: nothing throws out of the message listener.
 */
export function serveWorker(init: () => Promise<WorkerModel>): void {
  const port = parentPort;
  if (port === null) throw new Error('serveWorker must run in a worker thread');
  const send = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
  init().then(
    (model) => {
      // One run at a time: the engine already uses every thread it was given, so overlapping runs only thrash.
      let queue: Promise<void> = Promise.resolve();
      port.on('message', (m: HostMessage) => {
        if (m.kind === 'close') {
          queue = queue
            .then(() => model.close())
            .catch(() => undefined) // closing anyway: a failed dispose must not crash the worker first
            .finally(() => port.close());
          return;
        }
        queue = queue.then(async () => {
          try {
            const output = await model.run(m.batch.subarray(0, m.n * m.size), m.n);
            // A fresh copy, so the transfer never detaches memory the engine still owns.
            const copy = output.slice();
            send({ kind: 'result', id: m.id, output: copy, batch: m.batch }, [copy.buffer, m.batch.buffer as ArrayBuffer]);
          } catch (err) {
            send({ kind: 'run-failed', id: m.id, message: err instanceof Error ? err.message : String(err) });
          }
        });
      });
      send({ kind: 'ready', ready: model.ready });
    },
    (err: unknown) => {
      send({ kind: 'init-failed', message: err instanceof Error ? err.message : String(err) });
      port.close();
    },
  );
}
