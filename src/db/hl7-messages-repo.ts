/** Received HL7 messages: stored (raw bytes as evidence) before the ACK, deduplicated on sender + MSH-10. */
import type { Db } from './database.js';
import { isoNow } from './database.js';

export interface NewHl7Message {
  sender: string;
  controlId: string;
  messageType: string;
  accessionNumber: string;
  studyInstanceUid: string;
  resultStatus: string;
  /** Report text; null for messages that carry no report (stored as 'ignored'). */
  reportText: string | null;
  raw: Buffer;
  encoding: string;
  peer: string;
}

export interface StoredReport {
  id: number;
  controlId: string;
  accessionNumber: string;
  studyInstanceUid: string;
  resultStatus: string;
  reportText: string;
  receivedAt: string;
}

export class Hl7MessagesRepo {
  private pending: Array<{ m: NewHl7Message; nowMs: number; resolve: (r: { id: number; duplicate: boolean }) => void; reject: (e: unknown) => void }> = [];
  private flushScheduled = false;

  constructor(private readonly db: Db) {}

  /**
   * `store`, group-committed: messages arriving in the same event-loop turn (several connections) share one
   * transaction and one WAL fsync. Resolves after the commit: only then may the caller ACK.
   */
  storeCommitted(m: NewHl7Message, nowMs: number): Promise<{ id: number; duplicate: boolean }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ m, nowMs, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.flushScheduled = false;
    try {
      const results = this.db.transaction(() => batch.map((p) => this.store(p.m, p.nowMs)))();
      batch.forEach((p, i) => p.resolve(results[i] as { id: number; duplicate: boolean }));
    } catch {
      for (const p of batch) {
        try {
          p.resolve(this.store(p.m, p.nowMs));
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  /**
   * Stores a message in one committed transaction. A second copy (same sender and MSH-10) only counts as
   * received again: `duplicate` tells the caller to ACK without processing it twice.
   */
  store(m: NewHl7Message, nowMs: number): { id: number; duplicate: boolean } {
    return this.db.transaction(() => {
      const existing = this.db.prepare<[string, string], { id: number }>('SELECT id FROM hl7_messages WHERE sender = ? AND control_id = ?').get(m.sender, m.controlId);
      if (existing !== undefined) {
        this.db.prepare('UPDATE hl7_messages SET times_received = times_received + 1 WHERE id = ?').run(existing.id);
        return { id: existing.id, duplicate: true };
      }
      const r = this.db
        .prepare(
          `INSERT INTO hl7_messages (sender, control_id, message_type, accession_number, study_instance_uid, result_status,
             report_text, raw, encoding, peer, state, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(m.sender, m.controlId, m.messageType, m.accessionNumber, m.studyInstanceUid, m.resultStatus, m.reportText, m.raw, m.encoding, m.peer, m.reportText === null ? 'ignored' : 'received', isoNow(nowMs));
      return { id: Number(r.lastInsertRowid), duplicate: false };
    })();
  }

  /** Reports waiting for processing, oldest first. */
  pendingReports(limit: number): StoredReport[] {
    return this.db
      .prepare<[number], { id: number; control_id: string; accession_number: string; study_instance_uid: string; result_status: string; report_text: string; received_at: string }>(
        `SELECT id, control_id, accession_number, study_instance_uid, result_status, report_text, received_at
           FROM hl7_messages WHERE state = 'received' ORDER BY id LIMIT ?`,
      )
      .all(limit)
      .map((r) => ({ id: r.id, controlId: r.control_id, accessionNumber: r.accession_number, studyInstanceUid: r.study_instance_uid, resultStatus: r.result_status, reportText: r.report_text, receivedAt: r.received_at }));
  }

  /** Stores a processed report's findings (JSON) and marks it processed. */
  markProcessed(id: number, findingsJson: string, nowMs: number): void {
    this.db.prepare(`UPDATE hl7_messages SET state = 'processed', findings = ?, processed_at = ?, last_error = NULL WHERE id = ?`).run(findingsJson, isoNow(nowMs), id);
  }

  markFailed(id: number, error: string, nowMs: number): void {
    this.db.prepare(`UPDATE hl7_messages SET state = 'failed', last_error = ?, processed_at = ? WHERE id = ?`).run(error, isoNow(nowMs), id);
  }

  /**
   * The newest processed report for a study, linked by Study Instance UID when the RIS sent one, else by
   * accession number. Final and corrected reports win over preliminary ones.
   */
  latestReportFor(studyInstanceUid: string, accessionNumber: string): { id: number; resultStatus: string; findingsJson: string; receivedAt: string } | undefined {
    const row = this.db
      .prepare<[string, string, string], { id: number; result_status: string; findings: string; received_at: string }>(
        `SELECT id, result_status, findings, received_at FROM hl7_messages
          WHERE state = 'processed' AND (study_instance_uid = ? OR (? <> '' AND accession_number = ?))
          ORDER BY CASE WHEN upper(substr(result_status, 1, 1)) IN ('F', 'C') THEN 0 ELSE 1 END, id DESC LIMIT 1`,
      )
      .get(studyInstanceUid, accessionNumber, accessionNumber);
    return row === undefined ? undefined : { id: row.id, resultStatus: row.result_status, findingsJson: row.findings, receivedAt: row.received_at };
  }

  countByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.prepare<[], { state: string; n: number }>('SELECT state, COUNT(*) AS n FROM hl7_messages GROUP BY state').all()) out[r.state] = r.n;
    return out;
  }
}
