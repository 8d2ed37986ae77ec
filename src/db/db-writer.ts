/**
 * The main thread's side of the writer worker (`writer-worker.ts`): sends instance writes, resolves each once its
 * transaction has committed. A write is never resolved unless the worker answered it after the commit: if the
 * worker dies, the writes it held reject (GW_ERR_WORKER_FAILED), so the SCP answers a failure status — never a
 * success for a row that may not be committed. The next write restarts the worker (SQLite rolls back the
 * interrupted transaction); after repeated crashes it stays failed (crash policy: `workers/worker-client.ts`).
 */
import { WorkerClient, type WorkerCrash } from '../workers/index.js';
import type { InstanceRecord, StudyProgress } from './instance-types.js';

export type WriterProtocol = {
  write: { request: InstanceRecord; reply: StudyProgress };
};

/** Sent to writer-worker.ts as workerData. */
export interface WriterWorkerData {
  path: string;
  quietMs: number;
  /** Written as each instance's `received_by`. */
  nodeName: string;
}

export class DbWriter {
  private readonly client: WorkerClient<WriterProtocol, null>;

  /** `nodeName`: the node recorded as each instance's `received_by` (cluster.nodeName); '' when not given. */
  constructor(options: { path: string; studyQuietSeconds: number; nodeName?: string; onCrash?: (crash: WorkerCrash) => void }) {
    this.client = new WorkerClient({
      name: 'database writer',
      script: new URL('./writer-worker.js', import.meta.url),
      workerData: { path: options.path, quietMs: Math.round(options.studyQuietSeconds * 1000), nodeName: options.nodeName ?? '' } satisfies WriterWorkerData,
      ...(options.onCrash === undefined ? {} : { onCrash: options.onCrash }),
    });
    // Open the database now, not at the first C-STORE; a failure rejects the writes and is reported through onCrash.
    this.client.start().catch(() => undefined);
  }

  recordInstance(record: InstanceRecord): Promise<StudyProgress> {
    return this.client.call('write', record);
  }

  /** Lets pending commits finish (up to `graceMs`), then stops the writer. */
  close(graceMs = 30_000): Promise<void> {
    return this.client.close({ graceMs });
  }
}
