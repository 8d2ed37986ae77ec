/**
 * Worker thread that commits instance rows (before C-STORE Success). better-sqlite3 is synchronous and
 * synchronous=FULL fsyncs the WAL on every commit (~2 ms here): on the main thread that would stall every
 * association. Records that arrive while a commit runs are committed together in the next transaction (group
 * commit); each write is answered only after its transaction committed.
 */
import { workerData } from 'node:worker_threads';
import { serve } from '../workers/index.js';
import { openDatabase } from './database.js';
import { prepareInstanceWrites } from './instance-writes.js';
import type { WriterProtocol, WriterWorkerData } from './db-writer.js';
import type { InstanceRecord, StudyProgress } from './instance-types.js';

interface QueuedWrite {
  record: InstanceRecord;
  resolve: (progress: StudyProgress) => void;
  reject: (err: unknown) => void;
}

serve<WriterProtocol, null>(() => {
  const { path, quietMs, nodeName } = workerData as WriterWorkerData;
  const db = openDatabase(path);
  const writeInstance = prepareInstanceWrites(db, quietMs, nodeName);
  let queue: QueuedWrite[] = [];

  /** One transaction for the batch; if it fails, each write alone, so one bad row fails only itself. */
  const flush = (): void => {
    const batch = queue;
    queue = [];
    try {
      const results = db.transaction(() => batch.map((w) => writeInstance(w.record)))();
      results.forEach((progress, i) => batch[i]?.resolve(progress));
    } catch {
      for (const w of batch) {
        try {
          w.resolve(db.transaction(() => writeInstance(w.record))());
        } catch (err) {
          w.reject(err);
        }
      }
    }
  };

  return {
    ready: null,
    handlers: {
      write: (record) =>
        new Promise<StudyProgress>((resolve, reject) => {
          queue.push({ record, resolve, reject });
          if (queue.length === 1) setImmediate(flush);
        }),
    },
    close: () => {
      db.close();
    },
  };
});
