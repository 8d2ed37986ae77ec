/** The embedded engine: SQLite in dataDir (WAL, synchronous=FULL) with its writer thread, and the local spool. */
import { join } from 'node:path';
import type { GatewayConfig } from '../config/index.js';
import {
  DbWriter,
  Hl7MessagesRepo,
  InstancesRepo,
  JobKind,
  JobsRepo,
  NodesRepo,
  OutboxRepo,
  ResultsRepo,
  RetentionRepo,
  SqliteAuditQueue,
  SqliteJobQueue,
  SqliteOutboxQueue,
  StatusRepo,
  StudiesRepo,
  maintainSqlite,
  openDatabase,
} from '../db/index.js';
import { LocalSpool } from '../storage/index.js';
import { SqliteStudyStore } from '../studies/index.js';
import type { Stores, StoresOptions } from './stores.js';
import { logWorkerCrash } from './worker-crash.js';

export function openSqliteStores(config: Pick<GatewayConfig, 'dataDir' | 'dicom'>, options: StoresOptions): Stores {
  const path = join(config.dataDir, 'gateway.sqlite');
  const db = openDatabase(path);
  const writer = new DbWriter({ path, studyQuietSeconds: config.dicom.studyQuietSeconds, nodeName: options.nodeName, onCrash: logWorkerCrash(options.log) });
  const jobQueue = new SqliteJobQueue(db);
  const outboxQueue = new SqliteOutboxQueue(db);
  return {
    engine: 'sqlite',
    spool: new LocalSpool(config.dataDir),
    jobQueue,
    outboxQueue,
    instances: new InstancesRepo(db, writer),
    studies: new StudiesRepo(db),
    studyStore: new SqliteStudyStore(db, jobQueue, JobKind.AnalyzeStudy),
    results: new ResultsRepo(db, outboxQueue),
    jobs: new JobsRepo(db),
    outbox: new OutboxRepo(db),
    messages: new Hl7MessagesRepo(db, jobQueue),
    status: new StatusRepo(db),
    retention: new RetentionRepo(db),
    nodes: new NodesRepo(db),
    auditQueue: (maxRecords) => new SqliteAuditQueue(db, maxRecords),
    probe: async () => {
      // Taking the write lock proves the database file is writable, without writing anything.
      db.exec('BEGIN IMMEDIATE; ROLLBACK');
    },
    maintain: async () => ({ ...maintainSqlite(db) }),
    close: async () => {
      await writer.close();
      db.close();
    },
  };
}
