/**
 * The PostgreSQL engine (docs/scale-out.md): the pool, migrations, the queues and the repositories, each the
 * PostgreSQL form of an SQLite class in src/db with the same interface and the same results.
 */
export { openPgPool, pgTransaction, guarded, rows, PgTx, type Pool, type PgPoolOptions } from './pool.js';
export { migratePg, type MigrationRun } from './migrate.js';
export { PgJobQueue } from './pg-job-queue.js';
export { PgOutboxQueue } from './pg-outbox-queue.js';
export { PgAuditQueue } from './pg-audit-queue.js';
export { PgInstancesStore, type PgInstancesOptions } from './pg-instances-store.js';
export { PgStudyStore, type PgJobEnqueue } from './pg-study-store.js';
export { PgStudiesReader } from './pg-studies-reader.js';
export { PgRetentionStore } from './pg-retention-store.js';
export { PgStatusReader } from './pg-status-reader.js';
export { PgJobsReader } from './pg-jobs-reader.js';
export { PgOutboxReader } from './pg-outbox-reader.js';
export { PgResultsStore } from './pg-results-store.js';
export { PgHl7MessagesStore } from './pg-hl7-messages-store.js';
export { PgNodesRepo } from './pg-nodes-repo.js';
