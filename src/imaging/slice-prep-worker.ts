/**
 * Worker thread of `SlicePreparer`: decodes and preprocesses instances off the main thread, where a 30 ms J2K
 * decode would stall every DICOM association the daemon is serving. Tensors go back as transferred buffers.
 */
import { parentPort } from 'node:worker_threads';
import { prepareSlices, type PreparedSlices } from './slice-prep.js';
import type { TensorSpec } from './to-tensor.js';

export interface PrepRequest {
  id: number;
  path: string;
  spec: TensorSpec;
}

export type PrepReply = { id: number; ok: true; result: PreparedSlices } | { id: number; ok: false; error: string };

const port = parentPort;
if (port === null) throw new Error('slice-prep-worker must run as a worker thread');

port.on('message', (req: PrepRequest) => {
  prepareSlices(req.path, req.spec).then(
    (result) => {
      const reply: PrepReply = { id: req.id, ok: true, result };
      port.postMessage(reply, result.kind === 'prepared' ? result.tensors.map((t) => t.buffer as ArrayBuffer) : []);
    },
    // A file that cannot be read (deleted by retention, I/O error): the caller decides; the worker lives on.
    (err: unknown) => port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies PrepReply),
  );
});
