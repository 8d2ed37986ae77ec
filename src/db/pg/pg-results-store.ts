/**
 * Analysis results and result revisions on PostgreSQL: the ResultsStore of src/db/results-repo.ts, row for row the
 * SQLite repository's behaviour, for several nodes on one database. A revision and its deliveries commit in one
 * transaction; two nodes committing the same revision number of a result race on the unique index
 * (study, result key, revision): the second waits for the first's commit, then gets a unique violation, answered
 * with the same RevisionTakenError as on SQLite, and nothing of it (neither row nor outbox rows) is committed.
 */
import { isoNow } from '../database.js';
import type { NewOutboxItem } from '../outbox-queue.js';
import {
  RevisionTakenError,
  toResult,
  toRevision,
  type AnalysisResult,
  type NewResultRevision,
  type ResultRevision,
  type ResultRow,
  type ResultsStore,
  type RevisionRow,
} from '../results-repo.js';
import type { PgOutboxQueue } from './pg-outbox-queue.js';
import { guarded, pgTransaction, rows, sqlState, type Pool } from './pool.js';

const UNIQUE_VIOLATION = '23505';

export class PgResultsStore implements ResultsStore {
  constructor(
    private readonly pool: Pool,
    private readonly outbox: Pick<PgOutboxQueue, 'enqueueIn'>,
  ) {}

  /** A re-analysis replaces the study's row of that model (SQLite: INSERT OR REPLACE). */
  save(r: Omit<AnalysisResult, 'analyzedAt'>, nowMs: number): Promise<void> {
    return guarded('save result', 'analysis_results', async () => {
      await this.pool.query(
        `INSERT INTO analysis_results (study_instance_uid, model_id, model_version, finding_code, finding_scheme, finding_meaning,
           probability, top_k_mean, flagged, threshold, driving_instances, instances_analyzed, instances_skipped, engine,
           provider, device, duration_ms, sr_sop_instance_uid, analyzed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         ON CONFLICT (study_instance_uid, model_id) DO UPDATE SET
           model_version = EXCLUDED.model_version, finding_code = EXCLUDED.finding_code, finding_scheme = EXCLUDED.finding_scheme,
           finding_meaning = EXCLUDED.finding_meaning, probability = EXCLUDED.probability, top_k_mean = EXCLUDED.top_k_mean,
           flagged = EXCLUDED.flagged, threshold = EXCLUDED.threshold, driving_instances = EXCLUDED.driving_instances,
           instances_analyzed = EXCLUDED.instances_analyzed, instances_skipped = EXCLUDED.instances_skipped,
           engine = EXCLUDED.engine, provider = EXCLUDED.provider, device = EXCLUDED.device, duration_ms = EXCLUDED.duration_ms,
           sr_sop_instance_uid = EXCLUDED.sr_sop_instance_uid, analyzed_at = EXCLUDED.analyzed_at`,
        [
          r.studyInstanceUid, r.modelId, r.modelVersion, r.finding.code, r.finding.scheme, r.finding.meaning, r.probability,
          r.topKMean, r.flagged ? 1 : 0, r.threshold, JSON.stringify(r.drivingInstances), r.instancesAnalyzed,
          r.instancesSkipped, r.engine, r.provider, r.device, Math.round(r.durationMs), r.srSopInstanceUid, isoNow(nowMs),
        ],
      );
    });
  }

  /** By model id, in SQLite's (binary) order whatever the database's collation. */
  forStudy(studyInstanceUid: string): Promise<AnalysisResult[]> {
    return guarded('read results', 'analysis_results', async () =>
      (await rows<ResultRow>(this.pool, 'SELECT * FROM analysis_results WHERE study_instance_uid = $1 ORDER BY model_id COLLATE "C"', [studyInstanceUid])).map(toResult),
    );
  }

  /** Every revision counts: a PACS routing the study back sends the replaced SRs too. */
  isOwnResult(sopInstanceUid: string): Promise<boolean> {
    return guarded('check own result', 'result_revisions', async () => {
      const [row] = await rows<{ own: boolean }>(
        this.pool,
        `SELECT EXISTS (SELECT 1 FROM result_revisions WHERE sop_instance_uid = $1)
             OR EXISTS (SELECT 1 FROM analysis_results WHERE sr_sop_instance_uid = $1)
             OR EXISTS (SELECT 1 FROM report_results WHERE sr_sop_instance_uid = $1) AS own`,
        [sopInstanceUid],
      );
      return row?.own === true;
    });
  }

  /** The report-findings SR of a study, replacing the one of an older report (SQLite: INSERT OR REPLACE). */
  saveReportSr(studyInstanceUid: string, messageId: number, srSopInstanceUid: string, nowMs: number): Promise<void> {
    return guarded('save report SR', 'report_results', async () => {
      await this.pool.query(
        `INSERT INTO report_results (study_instance_uid, message_id, sr_sop_instance_uid, written_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (study_instance_uid) DO UPDATE SET
           message_id = EXCLUDED.message_id, sr_sop_instance_uid = EXCLUDED.sr_sop_instance_uid, written_at = EXCLUDED.written_at`,
        [studyInstanceUid, messageId, srSopInstanceUid, isoNow(nowMs)],
      );
    });
  }

  currentRevision(studyInstanceUid: string, resultKey: string): Promise<ResultRevision | undefined> {
    return guarded('read current revision', 'result_revisions', async () => {
      const [row] = await rows<RevisionRow>(
        this.pool,
        'SELECT * FROM result_revisions WHERE study_instance_uid = $1 AND result_key = $2 ORDER BY revision DESC LIMIT 1',
        [studyInstanceUid, resultKey],
      );
      return row === undefined ? undefined : toRevision(row);
    });
  }

  hasRevisionUid(sopInstanceUid: string): Promise<boolean> {
    return guarded('check revision UID', 'result_revisions', async () => {
      const [row] = await rows<{ taken: boolean }>(this.pool, 'SELECT EXISTS (SELECT 1 FROM result_revisions WHERE sop_instance_uid = $1) AS taken', [sopInstanceUid]);
      return row?.taken === true;
    });
  }

  /** Oldest first per result, results in SQLite's (binary) key order. */
  revisionsForStudy(studyInstanceUid: string): Promise<ResultRevision[]> {
    return guarded('read revisions', 'result_revisions', async () =>
      (await rows<RevisionRow>(this.pool, 'SELECT * FROM result_revisions WHERE study_instance_uid = $1 ORDER BY result_key COLLATE "C", revision', [studyInstanceUid])).map(
        toRevision,
      ),
    );
  }

  commitRevision(r: NewResultRevision, deliveries: readonly NewOutboxItem[], nowMs: number): Promise<string[]> {
    return guarded('commit revision', 'result_revisions', () =>
      pgTransaction(this.pool, async (tx) => {
        try {
          await tx.client.query(
            `INSERT INTO result_revisions (study_instance_uid, result_key, kind, model_id, model_version, revision, sop_instance_uid,
               series_instance_uid, content_digest, predecessor_uid, reason, source_message_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
            [
              r.studyInstanceUid, r.resultKey, r.kind, r.modelId, r.modelVersion, r.revision, r.sopInstanceUid, r.seriesInstanceUid,
              r.contentDigest, r.predecessorUid, r.reason, r.sourceMessageId, isoNow(nowMs),
            ],
          );
        } catch (err) {
          if (sqlState(err) === UNIQUE_VIOLATION) throw new RevisionTakenError(r, 'postgresql', err);
          throw err;
        }
        const created: string[] = [];
        // One at a time: statements on one transaction's client run in order anyway.
        for (const d of deliveries) if ((await this.outbox.enqueueIn(tx, d, nowMs)).created) created.push(d.destination);
        return created;
      }),
    );
  }
}
