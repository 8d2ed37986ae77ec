/**
 * The SQL that stores one received HL7 message, deduplicated on sender + MSH-10; run inside the repository's
 * group-commit transaction. A second copy only counts as received again: `duplicate` tells the caller to ACK
 * without processing it twice.
 */
import type { Db } from './database.js';
import { isoNow } from './database.js';
import type { NewHl7Message } from './hl7-messages-repo.js';

export interface Hl7StoreResult {
  id: number;
  duplicate: boolean;
}

export function prepareHl7Writes(db: Db): (m: NewHl7Message, nowMs: number) => Hl7StoreResult {
  const find = db.prepare<[string, string], { id: number }>('SELECT id FROM hl7_messages WHERE sender = ? AND control_id = ?');
  const again = db.prepare('UPDATE hl7_messages SET times_received = times_received + 1 WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO hl7_messages (sender, control_id, message_type, accession_number, study_instance_uid, result_status,
       report_text, raw, encoding, peer, state, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (m, nowMs) => {
    const existing = find.get(m.sender, m.controlId);
    if (existing !== undefined) {
      again.run(existing.id);
      return { id: existing.id, duplicate: true };
    }
    const r = insert.run(m.sender, m.controlId, m.messageType, m.accessionNumber, m.studyInstanceUid, m.resultStatus, m.reportText, m.raw, m.encoding, m.peer, m.reportText === null ? 'ignored' : 'received', isoNow(nowMs));
    return { id: Number(r.lastInsertRowid), duplicate: false };
  };
}
