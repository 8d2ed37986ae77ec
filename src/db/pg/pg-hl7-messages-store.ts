/**
 * Received HL7 messages on PostgreSQL: the Hl7MessagesStore of src/db/hl7-messages-repo.ts, with the SQLite
 * repository's behaviour (stored before the ACK, deduplicated on sender + MSH-10 and compared by content, a report's
 * process-report job queued in the same transaction), for several nodes on one database.
 *
 * Dedupe across nodes: the unique index (sender, control_id) decides, not a read before the write. The INSERT …
 * ON CONFLICT DO NOTHING of a second node storing the same message at the same instant waits for the first node's
 * transaction (PostgreSQL docs, INSERT, "ON CONFLICT Clause": a conflicting row of a transaction in progress is
 * waited for), then inserts nothing; its next statement (READ COMMITTED: a new snapshot) finds the committed row and
 * answers `duplicate` or `conflict`. So exactly one node answers `stored` and queues the job, and no caller ever sees
 * a unique violation.
 */
import { isoNow } from '../database.js';
import type { Hl7MessagesStore, LatestReport, NewHl7Message, StoredReport } from '../hl7-messages-repo.js';
import { sha256, type Hl7StoreResult } from '../hl7-writes.js';
import { JobKind, type NewJob } from '../job-queue.js';
import type { PgJobQueue } from './pg-job-queue.js';
import { guarded, pgTransaction, rows, type PgTx, type Pool } from './pool.js';

interface Waiting {
  m: NewHl7Message;
  nowMs: number;
  resolve: (r: Hl7StoreResult) => void;
  reject: (e: unknown) => void;
}

/** How often a message whose row vanished between the insert and the read (nothing deletes them today) is tried again. */
const STORE_TRIES = 3;

export class PgHl7MessagesStore implements Hl7MessagesStore {
  private pending: Waiting[] = [];
  private flushScheduled = false;

  constructor(
    private readonly pool: Pool,
    private readonly jobs: Pick<PgJobQueue, 'enqueueIn'>,
  ) {}

  /**
   * Stores a message, group-committed: messages arriving in the same event-loop turn (several connections) share
   * one transaction. Resolves after its COMMIT: only then may the caller ACK. A byte-identical second copy (same
   * sender and MSH-10, from any node) only counts as received again (`duplicate`); other bytes under a known sender
   * and MSH-10 are a `conflict` and are not written.
   */
  storeCommitted(m: NewHl7Message, nowMs: number): Promise<Hl7StoreResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ m, nowMs, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** One transaction for the batch; if it fails, each message alone, so one bad row fails only itself. */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.flushScheduled = false;
    // Rows in one order on every node (sender, MSH-10; arrival order among equal keys): two nodes' batches that
    // share messages wait for each other's inserts in the same order, never in a cycle (a deadlock, 40P01).
    const order = batch.map((_, i) => i).sort((a, b) => compareKeys(batch[a] as Waiting, batch[b] as Waiting) || a - b);
    try {
      const results = await guarded('store message', 'hl7_messages', () =>
        pgTransaction(this.pool, async (tx) => {
          const out: Hl7StoreResult[] = new Array<Hl7StoreResult>(batch.length);
          for (const i of order) {
            const p = batch[i] as Waiting;
            out[i] = await this.write(tx, p.m, p.nowMs);
          }
          return out;
        }),
      );
      batch.forEach((p, i) => p.resolve(results[i] as Hl7StoreResult));
    } catch {
      for (const i of order) {
        const p = batch[i] as Waiting;
        try {
          p.resolve(await guarded('store message', 'hl7_messages', () => pgTransaction(this.pool, (tx) => this.write(tx, p.m, p.nowMs))));
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  /** One message inside the batch's transaction; a stored report's processing job joins the same commit. */
  private async write(tx: PgTx, m: NewHl7Message, nowMs: number): Promise<Hl7StoreResult> {
    const hash = sha256(m.raw);
    for (let attempt = 1; attempt <= STORE_TRIES; attempt++) {
      const [inserted] = await rows<{ id: number }>(
        tx.client,
        `INSERT INTO hl7_messages (sender, control_id, message_type, accession_number, study_instance_uid, result_status,
           report_text, interpreter, raw, raw_sha256, encoding, peer, state, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (sender, control_id) DO NOTHING RETURNING id`,
        [
          m.sender, m.controlId, m.messageType, m.accessionNumber, m.studyInstanceUid, m.resultStatus, m.reportText, m.interpreter,
          m.raw, hash, m.encoding, m.peer, m.reportText === null ? 'ignored' : 'received', isoNow(nowMs),
        ],
      );
      if (inserted !== undefined) {
        if (m.reportText !== null) {
          const job: NewJob = { kind: JobKind.ProcessReport, studyInstanceUid: m.studyInstanceUid, refId: inserted.id };
          await this.jobs.enqueueIn(tx, job, nowMs);
        }
        return { kind: 'stored', id: inserted.id };
      }
      // Known: counted as received again when the bytes are the same, else left alone. A row stored without its
      // digest (copied from an older schema) gets it now, as on SQLite.
      const [known] = await rows<{ id: number; same: boolean }>(
        tx.client,
        `UPDATE hl7_messages
            SET raw_sha256 = COALESCE(raw_sha256, encode(sha256(raw), 'hex')),
                times_received = times_received + CASE WHEN COALESCE(raw_sha256, encode(sha256(raw), 'hex')) = $3 THEN 1 ELSE 0 END
          WHERE sender = $1 AND control_id = $2
          RETURNING id, raw_sha256 = $3 AS same`,
        [m.sender, m.controlId, hash],
      );
      if (known !== undefined) return { kind: known.same ? 'duplicate' : 'conflict', id: known.id };
    }
    throw new Error(`HL7 message ${m.controlId} from ${m.sender}: neither inserted nor found after ${STORE_TRIES} tries`);
  }

  pendingReport(id: number): Promise<StoredReport | undefined> {
    return guarded('read pending report', 'hl7_messages', async () => {
      const [r] = await rows<{ id: number; control_id: string; accession_number: string; study_instance_uid: string; result_status: string; report_text: string; received_at: string }>(
        this.pool,
        `SELECT id, control_id, accession_number, study_instance_uid, result_status, report_text, received_at
           FROM hl7_messages WHERE id = $1 AND state = 'received'`,
        [id],
      );
      return r === undefined
        ? undefined
        : { id: r.id, controlId: r.control_id, accessionNumber: r.accession_number, studyInstanceUid: r.study_instance_uid, resultStatus: r.result_status, reportText: r.report_text, receivedAt: r.received_at };
    });
  }

  /** Stores a processed report's findings (JSON) and marks it processed. */
  markProcessed(id: number, findingsJson: string, nowMs: number): Promise<void> {
    return guarded('mark processed', 'hl7_messages', async () => {
      await this.pool.query(`UPDATE hl7_messages SET state = 'processed', findings = $1, processed_at = $2, last_error = NULL WHERE id = $3`, [findingsJson, isoNow(nowMs), id]);
    });
  }

  /** The report's processing gave up (its job is a dead letter). */
  markFailed(id: number, error: string, nowMs: number): Promise<void> {
    return guarded('mark failed', 'hl7_messages', async () => {
      await this.pool.query(`UPDATE hl7_messages SET state = 'failed', last_error = $1, processed_at = $2 WHERE id = $3`, [error, isoNow(nowMs), id]);
    });
  }

  /**
   * The newest processed report for a study, linked by Study Instance UID when the RIS sent one, else by
   * accession number. Final and corrected reports win over preliminary ones.
   */
  latestReportFor(studyInstanceUid: string, accessionNumber: string): Promise<LatestReport | undefined> {
    return guarded('read latest report', 'hl7_messages', async () => {
      const [row] = await rows<{ id: number; control_id: string; interpreter: string; result_status: string; findings: string; received_at: string }>(
        this.pool,
        `SELECT id, control_id, interpreter, result_status, findings, received_at FROM hl7_messages
          WHERE state = 'processed' AND (study_instance_uid = $1 OR ($2 <> '' AND accession_number = $2))
          ORDER BY CASE WHEN upper(substr(result_status, 1, 1)) IN ('F', 'C') THEN 0 ELSE 1 END, id DESC LIMIT 1`,
        [studyInstanceUid, accessionNumber],
      );
      return row === undefined
        ? undefined
        : { id: row.id, controlId: row.control_id, interpreter: row.interpreter, resultStatus: row.result_status, findingsJson: row.findings, receivedAt: row.received_at };
    });
  }
}

function compareKeys(a: Waiting, b: Waiting): number {
  if (a.m.sender !== b.m.sender) return a.m.sender < b.m.sender ? -1 : 1;
  if (a.m.controlId !== b.m.controlId) return a.m.controlId < b.m.controlId ? -1 : 1;
  return 0;
}
