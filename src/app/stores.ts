/** The gateway's durable state: the spool folder and the SQLite database with its writer thread and repositories. */
import { join } from 'node:path';
import type { GatewayConfig } from '../config/index.js';
import { DbWriter, Hl7MessagesRepo, InstancesRepo, JobsRepo, OutboxRepo, ResultsRepo, RetentionRepo, SqliteJobQueue, SqliteOutboxQueue, StatusRepo, StudiesRepo, openDatabase, type Db } from '../db/index.js';
import { LocalSpool, type Spool } from '../storage/index.js';
import type { Logger } from '../log.js';
import { logWorkerCrash } from './worker-crash.js';

/** The composition root holds the classes; each flow sees only the narrow interfaces it declares (storage, db). */
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
  /** The operator's summary (API, status page). */
  status: StatusRepo;
  /** What spool retention may purge. */
  retention: RetentionRepo;
}

export function openStores(config: Pick<GatewayConfig, 'dataDir' | 'dicom'>, log: Logger): Stores {
  const spool = new LocalSpool(config.dataDir);
  const path = join(config.dataDir, 'gateway.sqlite');
  const db = openDatabase(path);
  const writer = new DbWriter({ path, studyQuietSeconds: config.dicom.studyQuietSeconds, onCrash: logWorkerCrash(log) });
  const jobQueue = new SqliteJobQueue(db);
  const outboxQueue = new SqliteOutboxQueue(db);
  return {
    spool,
    jobQueue,
    outboxQueue,
    db,
    writer,
    instances: new InstancesRepo(db, writer),
    studies: new StudiesRepo(db),
    results: new ResultsRepo(db, outboxQueue),
    jobs: new JobsRepo(db),
    outbox: new OutboxRepo(db),
    messages: new Hl7MessagesRepo(db, jobQueue),
    status: new StatusRepo(db),
    retention: new RetentionRepo(db),
  };
}

/** Last of all: nothing may write after this. */
export async function closeStores(stores: Stores): Promise<void> {
  await stores.writer.close();
  stores.db.close();
}
