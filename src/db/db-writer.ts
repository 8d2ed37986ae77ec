/**
 * The main thread's side of the writer worker (`writer-worker.ts`): posts instance writes, resolves each once its
 * transaction has committed. If the worker dies, every pending and later write fails with the reason, so the
 * SCP answers a failure status — never a success for an uncommitted row.
 */
import { Worker } from 'node:worker_threads';
import type { InstanceRecord, StudyProgress } from './instance-types.js';

export interface WriteRequest {
  id: number;
  record: InstanceRecord;
}

export interface WriteReply {
  id: number;
  result: { ok: true; value: StudyProgress } | { ok: false; error: string };
}

export class DbWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (v: StudyProgress) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private workerError: Error | undefined;

  constructor(options: { path: string; studyQuietSeconds: number }) {
    this.worker = new Worker(new URL('./writer-worker.js', import.meta.url), {
      workerData: { path: options.path, quietMs: Math.round(options.studyQuietSeconds * 1000) },
    });
    this.worker.on('message', (replies: WriteReply[]) => {
      for (const { id, result } of replies) {
        const w = this.waiting.get(id);
        this.waiting.delete(id);
        if (result.ok) w?.resolve(result.value);
        else w?.reject(new Error(result.error));
      }
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`database writer exited with code ${code}`)));
  }

  recordInstance(record: InstanceRecord): Promise<StudyProgress> {
    if (this.workerError !== undefined) return Promise.reject(this.workerError);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, record } satisfies WriteRequest);
    });
  }

  /** Lets pending commits finish, then stops the writer. */
  async close(): Promise<void> {
    while (this.waiting.size > 0 && this.workerError === undefined) await new Promise((r) => setTimeout(r, 5));
    this.worker.postMessage('close');
    await new Promise<void>((resolve) => {
      if (this.workerError !== undefined) resolve();
      else this.worker.once('exit', () => resolve());
    });
  }

  private failAll(err: Error): void {
    this.workerError ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
