/**
 * Worker thread that commits instance rows. better-sqlite3 is synchronous and synchronous=FULL fsyncs the WAL
 * on every commit (~2 ms here): on the main thread that would stall every association. Records that arrive
 * while a commit runs are committed together in the next transaction (group commit).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import type { InstanceRecord } from './instance-types.js';
import { prepareInstanceWrites, writeBatch } from './instance-writes.js';

interface Job {
  id: number;
  record: InstanceRecord;
}

const { path, quietMs } = workerData as { path: string; quietMs: number };
const port = parentPort;
if (port === null) throw new Error('instance-writer-worker must run as a worker thread');
const db = openDatabase(path);
const write = prepareInstanceWrites(db, quietMs);
let queue: Job[] = [];
let scheduled = false;

port.on('message', (msg: Job | 'close') => {
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

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  const results = writeBatch(db, write, batch.map((j) => j.record));
  port?.postMessage(batch.map((j, i) => ({ id: j.id, result: results[i] })));
}
