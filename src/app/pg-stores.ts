/**
 * The cluster engine: PostgreSQL (`database.url`), shared by every node, and the spool in dataDir, which every node
 * mounts (docs/scale-out.md). The schema is migrated at start under an advisory lock, so nodes starting together
 * migrate once; a node older than the schema refuses to start and says so.
 */
import type { GatewayConfig } from '../config/index.js';
import {
  JobKind,
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
} from '../db/index.js';
import { LocalSpool } from '../storage/index.js';
import type { Stores, StoresOptions } from './stores.js';
import { GatewayError } from '../errors.js';

/** The tables the scheduled upkeep analyses (vacuum is the server's autovacuum). */
const TABLES = ['studies', 'instances', 'jobs', 'outbox', 'analysis_results', 'result_revisions', 'report_results', 'hl7_messages', 'audit_records', 'cluster_nodes'];

export async function openPgStores(
  config: Pick<GatewayConfig, 'dataDir' | 'dicom' | 'cluster'> & { database: NonNullable<GatewayConfig['database']> & { url: string } },
  options: StoresOptions,
): Promise<Stores> {
  const { database } = config;
  const { log, nodeName } = options;
  warnIfUnverified(database.url, log);
  const pool = openPgPool({ connectionString: database.url, max: database.poolSize, connectTimeoutMs: database.connectTimeoutMs, applicationName: `pacs-ai-gateway ${nodeName}`, log });
  try {
    const run = await migratePg(pool, { node: nodeName });
    if (run.from !== run.to) log.info('PostgreSQL schema migrated', { from: run.from, to: run.to });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const queueOptions = { idlePollMs: config.cluster.pollMs };
  const jobQueue = new PgJobQueue(pool, queueOptions);
  const outboxQueue = new PgOutboxQueue(pool, queueOptions);
  return {
    engine: 'postgresql',
    spool: new LocalSpool(config.dataDir, { node: nodeName }),
    jobQueue,
    outboxQueue,
    instances: new PgInstancesStore(pool, { quietMs: Math.round(config.dicom.studyQuietSeconds * 1000), nodeName }),
    studies: new PgStudiesReader(pool),
    studyStore: new PgStudyStore(pool, jobQueue, JobKind.AnalyzeStudy),
    results: new PgResultsStore(pool, outboxQueue),
    jobs: new PgJobsReader(pool),
    outbox: new PgOutboxReader(pool),
    messages: new PgHl7MessagesStore(pool),
    status: new PgStatusReader(pool),
    retention: new PgRetentionStore(pool),
    nodes: new PgNodesRepo(pool),
    auditQueue: (maxRecords) => new PgAuditQueue(pool, maxRecords, queueOptions),
    probe: () =>
      guarded('probe', 'database', async () => {
        // After a failover the old primary, or a standby the URL now names, answers but takes no writes.
        const [r] = await rows<{ standby: boolean }>(pool, 'SELECT pg_is_in_recovery() AS standby', []);
        if (r?.standby === true) throw new GatewayError('GW_ERR_DATABASE_FAILED', 'PostgreSQL answers but is a standby (read-only): point database.url at the primary', { context: { engine: 'postgresql' } });
      }),
    maintain: () =>
      guarded('maintain', 'database', async () => {
        const started = Date.now();
        await pool.query(`ANALYZE ${TABLES.join(', ')}`);
        const [size] = await rows<{ bytes: number }>(pool, 'SELECT pg_database_size(current_database()) AS bytes', []);
        return { analyzeMs: Date.now() - started, databaseBytes: size?.bytes ?? 0 };
      }),
    close: () => pool.end(),
  };
}

/** A server across the network without certificate and host name checks is worth a warning at every start. */
function warnIfUnverified(url: string, log: StoresOptions['log']): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return; // node-postgres reports a malformed URL itself, at the first connect
  }
  const local = ['', 'localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname) || parsed.searchParams.has('host');
  const mode = parsed.searchParams.get('sslmode');
  if (!local && mode !== 'verify-full') log.warn('database.url: the connection to PostgreSQL is not verified; use sslmode=verify-full with sslrootcert', { host: parsed.hostname, sslmode: mode ?? '(none)' });
}
