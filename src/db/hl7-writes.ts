/**
 * The SQL that stores one received HL7 message, deduplicated on sender + MSH-10 and compared by content; run inside
 * the repository's group-commit transaction. A byte-identical second copy only counts as received again
 * (`duplicate`: ACK without processing it twice). Different bytes under a known sender + MSH-10 (a RIS that
 * restarted its counter) are a `conflict`: nothing is written, and the caller refuses the message.
 */
import { createHash } from 'node:crypto';
import type { Db } from './database.js';
import { isoNow } from './database.js';
import type { NewHl7Message } from './hl7-messages-repo.js';

export type Hl7StoreResult =
  | { kind: 'stored'; id: number }
  | { kind: 'duplicate'; id: number }
  /** Same sender + MSH-10 as row `id`, other bytes: not stored. */
  | { kind: 'conflict'; id: number };

export function prepareHl7Writes(db: Db): (m: NewHl7Message, nowMs: number) => Hl7StoreResult {
  const find = db.prepare<[string, string], { id: number; raw_sha256: string | null }>('SELECT id, raw_sha256 FROM hl7_messages WHERE sender = ? AND control_id = ?');
  const rawOf = db.prepare<[number], { raw: Buffer }>('SELECT raw FROM hl7_messages WHERE id = ?');
  const setHash = db.prepare('UPDATE hl7_messages SET raw_sha256 = ? WHERE id = ?');
  const again = db.prepare('UPDATE hl7_messages SET times_received = times_received + 1 WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO hl7_messages (sender, control_id, message_type, accession_number, study_instance_uid, result_status,
       report_text, interpreter, raw, raw_sha256, encoding, peer, state, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (m, nowMs) => {
    const hash = sha256(m.raw);
    const existing = find.get(m.sender, m.controlId);
    if (existing !== undefined) {
      let known = existing.raw_sha256;
      if (known === null) {
        known = sha256(rawOf.get(existing.id)?.raw ?? Buffer.alloc(0));
        setHash.run(known, existing.id);
      }
      if (known !== hash) return { kind: 'conflict', id: existing.id };
      again.run(existing.id);
      return { kind: 'duplicate', id: existing.id };
    }
    const r = insert.run(m.sender, m.controlId, m.messageType, m.accessionNumber, m.studyInstanceUid, m.resultStatus, m.reportText, m.interpreter, m.raw, hash, m.encoding, m.peer, m.reportText === null ? 'ignored' : 'received', isoNow(nowMs));
    return { kind: 'stored', id: Number(r.lastInsertRowid) };
  };
}

/** The digest a message's bytes are compared by (hl7_messages.raw_sha256), on both engines. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
