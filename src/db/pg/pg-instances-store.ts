/**
 * The instance index on PostgreSQL: what the SQLite writer thread does (db/instance-writes.ts and src/studies'
 * study-row upsert), for several nodes writing one database.
 *
 * - Group commit: records that arrive while a transaction runs are committed together in the next one, as the
 *   SQLite writer does (db/writer-worker.ts); each `record()` resolves only after its COMMIT, so C-STORE Success
 *   never names an uncommitted row. A batch that fails is retried one record per transaction, so one bad row fails
 *   only itself.
 * - Several nodes: a transaction first locks the study rows of its batch, in study UID order (the upsert creates
 *   the row, or locks it even when it changes nothing: PostgreSQL docs, INSERT, "ON CONFLICT Clause"). Two nodes
 *   recording instances of one study therefore take turns on that study, never deadlock, and each count is read
 *   after the lock, in a fresh READ COMMITTED snapshot: it includes every instance the other node committed.
 * - The quiet period lives in the database: every instance, whichever node received it, pushes the study's
 *   `complete_due_at` back; completion (pg-study-store.ts) tests it in its conditional UPDATE.
 */
import { CompletionRule } from '../../studies/index.js';
import { isoNow } from '../database.js';
import type { ExistingInstance, InstanceRecord, InstancesStore, StoredInstance, StudyProgress } from '../instances-repo.js';
import { GatewayError } from '../../errors.js';
import { guarded, pgTransaction, rows, type Pool, type PoolClient } from './pool.js';

export interface PgInstancesOptions {
  /** The study quiet period (dicom.studyQuietSeconds in ms). */
  quietMs: number;
  /** Written as each instance's `received_by` (cluster.nodeName). */
  nodeName: string;
}

interface PendingWrite {
  record: InstanceRecord;
  resolve: (progress: StudyProgress) => void;
  reject: (err: unknown) => void;
}

/**
 * The study row's half of recording an instance, as src/studies' prepareStudyActivity on SQLite: creates the
 * study, or (when the instance re-opens it) refreshes it and pushes its due time back, re-opening a completed study.
 * `$8` false (an SR of ours routed back) leaves an existing row as it is; the row is locked either way.
 */
const STUDY_ACTIVITY = `
  INSERT INTO studies AS s (study_instance_uid, accession_number, study_date, study_description, status,
                            expected_instances, first_received_at, last_received_at, complete_due_at)
  VALUES ($1, $2, $3, $4, 'receiving', $5, $6, $6, $7)
  ON CONFLICT (study_instance_uid) DO UPDATE SET
    status = 'receiving',
    accession_number = CASE WHEN excluded.accession_number <> '' THEN excluded.accession_number ELSE s.accession_number END,
    study_date = CASE WHEN excluded.study_date <> '' THEN excluded.study_date ELSE s.study_date END,
    study_description = CASE WHEN excluded.study_description <> '' THEN excluded.study_description ELSE s.study_description END,
    expected_instances = COALESCE(excluded.expected_instances, s.expected_instances),
    last_received_at = excluded.last_received_at,
    complete_due_at = excluded.complete_due_at
  WHERE $8::boolean`;

const UPSERT_INSTANCE = `
  INSERT INTO instances (sop_instance_uid, study_instance_uid, series_instance_uid, sop_class_uid,
    transfer_syntax_uid, accession_number, modality, body_part, series_number, instance_number,
    size_bytes, path, calling_ae, received_at, received_by)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
  ON CONFLICT (sop_instance_uid) DO UPDATE SET
    study_instance_uid = excluded.study_instance_uid, series_instance_uid = excluded.series_instance_uid,
    sop_class_uid = excluded.sop_class_uid, transfer_syntax_uid = excluded.transfer_syntax_uid,
    accession_number = excluded.accession_number, modality = excluded.modality, body_part = excluded.body_part,
    series_number = excluded.series_number, instance_number = excluded.instance_number,
    size_bytes = excluded.size_bytes, path = excluded.path, calling_ae = excluded.calling_ae,
    received_at = excluded.received_at, received_by = excluded.received_by`;

const STUDY_COUNTS = `
  SELECT (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n,
         s.expected_instances AS expected
    FROM studies s WHERE s.study_instance_uid = $1`;

/**
 * Whether a batch failed because of one of its rows, worth retrying record by record: SQLSTATE class 22 (data
 * exception), 23 (integrity constraint violation) or 40 (transaction rollback: a deadlock or serialization
 * failure, which a smaller transaction may not meet). PostgreSQL docs, Appendix A "PostgreSQL Error Codes".
 */
function isRowFailure(err: unknown): boolean {
  const state = err instanceof GatewayError ? err.context.sqlState : undefined;
  return typeof state === 'string' && ['22', '23', '40'].includes(state.slice(0, 2));
}

export class PgInstancesStore implements InstancesStore {
  private readonly rule: CompletionRule;
  private readonly nodeName: string;
  private queue: PendingWrite[] = [];
  private flushing = false;

  constructor(
    private readonly pool: Pool,
    options: PgInstancesOptions,
  ) {
    this.rule = new CompletionRule(options.quietMs);
    this.nodeName = options.nodeName;
  }

  find(sopInstanceUid: string): Promise<ExistingInstance | undefined> {
    return guarded('find', 'instances', async () => {
      const [row] = await rows<{ path: string; size_bytes: number; study_instance_uid: string }>(
        this.pool,
        'SELECT path, size_bytes, study_instance_uid FROM instances WHERE sop_instance_uid = $1',
        [sopInstanceUid],
      );
      return row === undefined ? undefined : { path: row.path, sizeBytes: row.size_bytes, studyInstanceUid: row.study_instance_uid };
    });
  }

  forStudy(studyInstanceUid: string): Promise<StoredInstance[]> {
    return guarded('list a study', 'instances', async () => {
      const found = await rows<{
        sop_instance_uid: string; series_instance_uid: string; sop_class_uid: string; transfer_syntax_uid: string; modality: string;
        body_part: string; series_number: number | null; instance_number: number | null; path: string; received_at: string;
      }>(
        this.pool,
        // NULLS FIRST: SQLite's order for a missing series or instance number (NULL sorts first there)
        `SELECT sop_instance_uid, series_instance_uid, sop_class_uid, transfer_syntax_uid, modality, body_part, series_number,
                instance_number, path, received_at
           FROM instances WHERE study_instance_uid = $1
          ORDER BY series_number NULLS FIRST, series_instance_uid, instance_number NULLS FIRST, sop_instance_uid`,
        [studyInstanceUid],
      );
      return found.map((r) => ({
        sopInstanceUid: r.sop_instance_uid,
        seriesInstanceUid: r.series_instance_uid,
        sopClassUid: r.sop_class_uid,
        transferSyntaxUid: r.transfer_syntax_uid,
        modality: r.modality,
        bodyPart: r.body_part,
        seriesNumber: r.series_number,
        instanceNumber: r.instance_number,
        path: r.path,
        receivedAt: r.received_at,
      }));
    });
  }

  /** Resolves once the instance row and its study row have committed, with the study's progress. */
  record(record: InstanceRecord): Promise<StudyProgress> {
    return new Promise<StudyProgress>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      // The next turn of the loop, so the records of a burst (several associations) share the first commit too.
      if (!this.flushing && this.queue.length === 1) setImmediate(() => void this.drain());
    });
  }

  /** Commits batches one after another until none is waiting: what arrives during a commit goes in the next. */
  private async drain(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * One transaction for the batch; if a row made it fail, each write alone, so one bad row fails only itself. A
   * failure that is not a row's (the server is away) fails the whole batch at once: retrying each record would
   * only make every C-STORE wait one connect timeout after another before its failure status.
   */
  private async commit(batch: PendingWrite[]): Promise<void> {
    try {
      const progress = await this.transaction(batch.map((w) => w.record));
      progress.forEach((p, i) => batch[i]?.resolve(p));
      return;
    } catch (err) {
      if (batch.length === 1 || !isRowFailure(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
    }
    for (const w of batch) {
      try {
        const [progress] = await this.transaction([w.record]);
        w.resolve(progress as StudyProgress);
      } catch (err) {
        w.reject(err);
      }
    }
  }

  private transaction(records: InstanceRecord[]): Promise<StudyProgress[]> {
    return guarded('record instance', 'instances', () =>
      pgTransaction(this.pool, async ({ client }) => {
        // Each study row first, in UID order (the lock order every writer keeps), with its first record's activity.
        const first = new Map<string, InstanceRecord>();
        for (const r of records) if (!first.has(r.studyInstanceUid)) first.set(r.studyInstanceUid, r);
        for (const uid of [...first.keys()].sort()) await this.studyActivity(client, first.get(uid) as InstanceRecord);
        const progress: StudyProgress[] = [];
        for (const r of records) {
          if (first.get(r.studyInstanceUid) !== r) await this.studyActivity(client, r);
          progress.push(await this.writeInstance(client, r));
        }
        return progress;
      }),
    );
  }

  private async studyActivity(client: PoolClient, r: InstanceRecord): Promise<void> {
    const now = isoNow(r.receivedAtMs);
    await client.query(STUDY_ACTIVITY, [
      r.studyInstanceUid, r.accessionNumber, r.studyDate, r.studyDescription, r.expectedStudyInstances ?? null,
      now, isoNow(this.rule.dueAt(r.receivedAtMs)), r.reopensStudy,
    ]);
  }

  private async writeInstance(client: PoolClient, r: InstanceRecord): Promise<StudyProgress> {
    await client.query(UPSERT_INSTANCE, [
      r.sopInstanceUid, r.studyInstanceUid, r.seriesInstanceUid, r.sopClassUid, r.transferSyntaxUid, r.accessionNumber, r.modality,
      r.bodyPart, r.seriesNumber ?? null, r.instanceNumber ?? null, r.sizeBytes, r.path, r.callingAe, isoNow(r.receivedAtMs), this.nodeName,
    ]);
    const [counts] = await rows<{ n: number; expected: number | null }>(client, STUDY_COUNTS, [r.studyInstanceUid]);
    return {
      studyInstanceUid: r.studyInstanceUid,
      instanceCount: counts?.n ?? 0,
      expectedInstances: counts?.expected ?? undefined,
      completeDueAtMs: this.rule.dueAt(r.receivedAtMs),
    };
  }
}
