/**
 * Worker thread that commits instance rows (before C-STORE Success). better-sqlite3 is synchronous and
 * synchronous=FULL fsyncs the WAL on every commit (~2 ms here): on the main thread that would stall every
 * association. Records that arrive while a commit runs are committed together in the next transaction (group
 * commit).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import { prepareInstanceWrites } from './instance-writes.js';
import type { WriteReply, WriteRequest } from './db-writer.js';

const { path, quietMs } = workerData as { path: string; quietMs: number };
const port = parentPort;
if (port === null) throw new Error('writer-worker must run as a worker thread');
const db = openDatabase(path);
const writeInstance = prepareInstanceWrites(db, quietMs);
let queue: WriteRequest[] = [];
let scheduled = false;

port.on('message', (msg: WriteRequest | 'close') => {
  if (msg === 'close') {
    db.close();
    port.close();
    return;
  }
  queue.push(msg);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});

function apply(req: WriteRequest): WriteReply['result'] {
  return { ok: true, value: writeInstance(req.record) };
}

/** One transaction for the batch; if it fails, each write alone, so one bad row fails only itself. */
function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  let results: Array<WriteReply['result']>;
  try {
    results = db.transaction(() => batch.map(apply))();
  } catch {
    results = batch.map((req) => {
      try {
        return db.transaction(() => apply(req))();
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    });
  }
  port?.postMessage(batch.map((req, i) => ({ id: req.id, result: results[i] }) as WriteReply));
}
