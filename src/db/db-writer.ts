/**
 * The main thread's side of the writer worker (`writer-worker.ts`): posts writes, resolves each once its
 * transaction has committed. If the worker dies, every pending and later write fails with the reason, so the
 * SCP answers a failure status and the MLLP server AE — never a success for an uncommitted row.
 */
import { Worker } from 'node:worker_threads';
import type { Hl7StoreResult } from './hl7-writes.js';
import type { NewHl7Message } from './hl7-messages-repo.js';
import type { InstanceRecord, StudyProgress } from './instance-types.js';

export type WriteRequest =
  | { id: number; op: 'instance'; record: InstanceRecord }
  | { id: number; op: 'hl7'; message: NewHl7Message; nowMs: number };

export interface WriteReply {
  id: number;
  result: { ok: true; value: StudyProgress | Hl7StoreResult } | { ok: false; error: string };
}

/** A request before it gets its id (Omit distributed over the union). */
type Request<R = WriteRequest> = R extends WriteRequest ? Omit<R, 'id'> : never;

export class DbWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (v: StudyProgress | Hl7StoreResult) => void; reject: (e: Error) => void }>();
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
    return this.submit({ op: 'instance', record }) as Promise<StudyProgress>;
  }

  storeHl7(message: NewHl7Message, nowMs: number): Promise<Hl7StoreResult> {
    return this.submit({ op: 'hl7', message, nowMs }) as Promise<Hl7StoreResult>;
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

  private submit(req: Request): Promise<StudyProgress | Hl7StoreResult> {
    if (this.workerError !== undefined) return Promise.reject(this.workerError);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...req } as WriteRequest);
    });
  }

  private failAll(err: Error): void {
    this.workerError ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
