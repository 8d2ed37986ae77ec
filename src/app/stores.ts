/**
 * The gateway's durable state, whichever engine holds it: the spool folder and the database's repositories and
 * queues, as the interfaces the flows declare. SQLite in dataDir is the embedded default (sqlite-stores.ts);
 * `database.url` selects PostgreSQL, shared by the nodes of a cluster (pg-stores.ts). Nothing above this file
 * knows which engine it runs on.
 */
import type { AuditQueue } from '../audit/index.js';
import type { GatewayConfig } from '../config/index.js';
import type {
  Hl7MessagesStore,
  InstancesStore,
  Job,
  JobsReader,
  NewJob,
  NewOutboxItem,
  NodeRegister,
  OutboxItem,
  OutboxReader,
  ResultsStore,
  RetentionStore,
  StatusReader,
  StudiesReader,
} from '../db/index.js';
import type { Logger } from '../log.js';
import type { Queue, QueueMaintenance } from '../queue/index.js';
import type { Spool } from '../storage/index.js';
import type { StudyStore } from '../studies/index.js';
import { openPgStores } from './pg-stores.js';
import { openSqliteStores } from './sqlite-stores.js';

/** The composition root holds these; each flow sees only the narrow interfaces it declares. */
export interface Stores {
  engine: 'sqlite' | 'postgresql';
  spool: Spool;
  instances: InstancesStore;
  studies: StudiesReader;
  /** Study completion's rows: the quiet period and the completed study's analysis job. */
  studyStore: StudyStore;
  results: ResultsStore;
  /** The durable queues (src/queue seam): analysis and report jobs, outbox deliveries. */
  jobQueue: Queue<Job, NewJob>;
  outboxQueue: Queue<OutboxItem, NewOutboxItem> & QueueMaintenance;
  /** What the API, status and metrics read about them. */
  jobs: JobsReader;
  outbox: OutboxReader;
  messages: Hl7MessagesStore;
  /** The operator's summary (API, status page). */
  status: StatusReader;
  /** What spool retention may purge. */
  retention: RetentionStore;
  /** The cluster's nodes (one on SQLite). */
  nodes: NodeRegister;
  /** The audit trail's local queue, on this database. */
  auditQueue(maxRecords: number): AuditQueue;
  /** Throws (with the reason) unless the database takes writes now: /healthz. */
  probe(): Promise<void>;
  /** Scheduled database upkeep (housekeeping db-maintenance): what it did, for the log. */
  maintain(): Promise<Record<string, number>>;
  /** Last of all: nothing may write after this. */
  close(): Promise<void>;
}

export interface StoresOptions {
  /** cluster.nodeName: the instances this node indexes carry it. */
  nodeName: string;
  log: Logger;
}

export async function openStores(config: Pick<GatewayConfig, 'dataDir' | 'dicom' | 'database' | 'cluster'>, options: StoresOptions): Promise<Stores> {
  const url = config.database?.url;
  if (config.database === undefined || url === undefined) return openSqliteStores(config, options);
  return openPgStores({ ...config, database: { ...config.database, url } }, options);
}
