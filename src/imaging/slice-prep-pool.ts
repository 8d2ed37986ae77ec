/**
 * A small pool of worker threads that turn stored instances into model input (`prepareSlices`), so the analysis
 * never decodes on the main thread. Requests go to the worker with the fewest in flight; a worker that dies fails
 * its requests with the reason and is replaced.
 */
import { Worker } from 'node:worker_threads';
import type { PreparedSlices } from './slice-prep.js';
import type { PrepReply, PrepRequest } from './slice-prep-worker.js';
import type { TensorSpec } from './to-tensor.js';

interface Pending {
  resolve: (r: PreparedSlices) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class SlicePreparer {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    for (let i = 0; i < threads; i++) this.slots.push(this.spawn());
  }

  /** Decodes and preprocesses the file at `path` for a model with input `spec`; rejects only if the file cannot be read. */
  prepare(path: string, spec: TensorSpec): Promise<PreparedSlices> {
    if (this.closed) return Promise.reject(new Error('slice preparer is closed'));
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, path, spec } satisfies PrepRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(new URL('./slice-prep-worker.js', import.meta.url)), pending: new Map() };
    slot.worker.on('message', (reply: PrepReply) => {
      const p = slot.pending.get(reply.id);
      slot.pending.delete(reply.id);
      if (reply.ok) p?.resolve(reply.result);
      else p?.reject(new Error(reply.error));
    });
    const fail = (err: Error): void => {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      const i = this.slots.indexOf(slot);
      if (!this.closed && i >= 0) this.slots[i] = this.spawn();
    };
    slot.worker.on('error', (err) => fail(new Error(`slice preparation worker failed: ${err.message}`)));
    slot.worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`slice preparation worker exited with code ${code}`));
    });
    return slot;
  }
}
