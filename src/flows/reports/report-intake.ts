/**
 * What a received HL7 message becomes: a committed row (raw bytes, report text, accession) and only then an
 * ACK AA. The same bytes sent again (same sender and MSH-10) are ACKed again but not stored or processed twice;
 * other bytes under a control id already received get AR with ERR 205 (HL7 v2.5.1 table 0357, "Duplicate key
 * identifier") and a warning, so a RIS that restarted its MSH-10 counter learns of it instead of losing the report.
 */
import type { Hl7MessagesStore } from '../../db/index.js';
import { describeError } from '../../errors.js';
import { extractReport, type Hl7AckDecision, type ReceivedHl7Message } from '../../hl7/index.js';
import type { Logger } from '../../log.js';

/** A report message committed (ACK AA follows): what the audit trail records, never the text or a name. */
export interface StoredMessage {
  /** MSH-3^MSH-4. */
  sender: string;
  peerAddress: string;
  /** MSH-9, e.g. ORU^R01. */
  messageType: string;
  controlId: string;
  accessionNumber: string;
  studyInstanceUid: string;
  /** PID-3, first component. */
  patientId: string;
}

export function reportIntakeHandler(deps: { messages: Hl7MessagesStore; log: Logger; onStored?: (stored: StoredMessage) => void }): (m: ReceivedHl7Message) => Promise<Hl7AckDecision> {
  return async (received) => {
    const { message } = received;
    const report = extractReport(message);
    const sender = `${message.sender.application}^${message.sender.facility}`;
    const type = message.messageType;
    try {
      const stored = await deps.messages.storeCommitted(
        {
          sender,
          controlId: received.controlId,
          messageType: `${type.code}^${type.trigger}`,
          accessionNumber: report?.accessionNumber ?? '',
          studyInstanceUid: report?.studyInstanceUid ?? '',
          resultStatus: report?.resultStatus ?? '',
          reportText: report?.text ?? null,
          interpreter: report?.interpreter ?? '',
          raw: received.raw,
          encoding: received.encoding,
          peer: received.peer.address,
        },
        received.receivedAt.getTime(),
      );
      switch (stored.kind) {
        case 'stored':
          deps.onStored?.({
            sender,
            peerAddress: received.peer.address,
            messageType: `${type.code}^${type.trigger}`,
            controlId: received.controlId,
            accessionNumber: report?.accessionNumber ?? '',
            studyInstanceUid: report?.studyInstanceUid ?? '',
            patientId: message.field('PID', 3, { component: 1 }).trim(),
          });
          return { code: 'AA' };
        case 'duplicate':
          deps.log.info('HL7 message received again: acknowledged, not processed twice', { messageType: `${type.code}^${type.trigger}` });
          return { code: 'AA', text: 'duplicate message control id: already received' };
        case 'conflict': {
          // MSH-10 is the sender's control id, not patient data; the row id lets an operator find the first message.
          deps.log.warn('HL7 message refused: control id already used by a different message', { code: 'GW_ERR_HL7_CONTROL_ID_CONFLICT', sender, controlId: received.controlId, storedId: stored.id, messageType: `${type.code}^${type.trigger}` });
          const userMessage = `MSH-10 ${received.controlId} from ${sender} was already received with different content; not stored. Send it with a new MSH-10`;
          return { code: 'AR', error: { condition: '205', userMessage, applicationCode: 'GW_ERR_HL7_CONTROL_ID_CONFLICT', location: { segment: 'MSH', sequence: 1, field: 10 } } };
        }
      }
    } catch (err) {
      deps.log.error('HL7 message not stored', { code: 'GW_ERR_HL7_HANDLER_FAILED', err: describeError(err) });
      return { code: 'AE', error: { condition: '207', userMessage: 'the gateway could not store the message; send it again', applicationCode: 'GW_ERR_HL7_HANDLER_FAILED' } };
    }
  };
}
