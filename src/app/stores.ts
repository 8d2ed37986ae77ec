/** The gateway's durable state: the spool folder and the SQLite database with its writer thread and repositories. */
import { join } from 'node:path';
import type { GatewayConfig } from '../config/index.js';
import { DbWriter, Hl7MessagesRepo, InstancesRepo, JobsRepo, OutboxRepo, ResultsRepo, SqliteJobQueue, SqliteOutboxQueue, StudiesRepo, openDatabase, type Db } from '../db/index.js';
import { Spool } from '../storage/index.js';
import type { Logger } from '../log.js';
import { logWorkerCrash } from './worker-crash.js';

export interface Stores {
  spool: Spool;
  db: Db;
  writer: DbWriter;
  instances: InstancesRepo;
  studies: StudiesRepo;
  results: ResultsRepo;
  /** The durable queues (src/queue seam): analysis and report jobs, outbox deliveries. */
  jobQueue: SqliteJobQueue;
  outboxQueue: SqliteOutboxQueue;
  /** What the API, status and metrics read about them. */
  jobs: JobsRepo;
  outbox: OutboxRepo;
  messages: Hl7MessagesRepo;
}

export function openStores(config: Pick<GatewayConfig, 'dataDir' | 'dicom'>, log: Logger): Stores {
  const spool = new Spool(config.dataDir);
  const path = join(config.dataDir, 'gateway.sqlite');
  const db = openDatabase(path);
  const writer = new DbWriter({ path, studyQuietSeconds: config.dicom.studyQuietSeconds, onCrash: logWorkerCrash(log) });
  const jobQueue = new SqliteJobQueue(db);
  return {
    spool,
    jobQueue,
    outboxQueue: new SqliteOutboxQueue(db),
    db,
    writer,
    instances: new InstancesRepo(db, writer),
    studies: new StudiesRepo(db),
    results: new ResultsRepo(db),
    jobs: new JobsRepo(db),
    outbox: new OutboxRepo(db),
    messages: new Hl7MessagesRepo(db, jobQueue),
  };
}

/** Last of all: nothing may write after this. */
export async function closeStores(stores: Stores): Promise<void> {
  await stores.writer.close();
  stores.db.close();
}
