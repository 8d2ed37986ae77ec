export { openDatabase, openDatabaseReadOnly, commitOutcomeUnknown, type Db } from './database.js';
export { DbWriter } from './db-writer.js';
export { InstancesRepo, type InstancesStore, type InstanceRecord, type StudyProgress, type ExistingInstance, type StoredInstance } from './instances-repo.js';
export { StudiesRepo, type StudiesReader, type StudyState, type StudySummary } from './studies-repo.js';
export { type SqliteTx, type QueueTable } from './sqlite-queue.js';
export { SqliteJobQueue, JobKind, type Job, type JobState, type NewJob } from './job-queue.js';
export { JobsRepo, type JobsReader } from './jobs-repo.js';
export { SqliteOutboxQueue, OUTBOX_STATES, type OutboxItem, type OutboxKind, type OutboxState, type NewOutboxItem } from './outbox-queue.js';
export { OutboxRepo, type OutboxReader, type OutboxDestinationStats } from './outbox-repo.js';
export { ResultsRepo, imageResultKey, REPORT_RESULT_KEY, type ResultsStore, type AnalysisResult, type ResultRevision, type NewResultRevision, type RevisionReason } from './results-repo.js';
export { Hl7MessagesRepo, type Hl7MessagesStore, type LatestReport, type NewHl7Message, type StoredReport } from './hl7-messages-repo.js';
export { RetentionRepo, type RetentionStore, type PurgeCandidate, type PurgedStudy } from './retention-repo.js';
export { StatusRepo, type StatusReader, type StatusSummary, type DestinationDepth, type RecentError } from './status-repo.js';
export { SqliteAuditQueue, type AuditQueueItem, type NewAuditRecord, type AuditEnqueue } from './audit-queue.js';
export { NodesRepo, type NodeRegister, type NodeIdentity, type ClusterNode } from './nodes-repo.js';
export { maintainSqlite, type DbMaintenanceReport } from './sqlite-maintenance.js';
export {
  PgAuditQueue,
  PgHl7MessagesStore,
  PgInstancesStore,
  PgJobQueue,
  PgJobsReader,
  PgNodesRepo,
  PgOutboxQueue,
  PgOutboxReader,
  PgResultsStore,
  PgRetentionStore,
  PgStatusReader,
  PgStudiesReader,
  PgStudyStore,
  guarded,
  migratePg,
  openPgPool,
  rows,
} from './pg/index.js';
