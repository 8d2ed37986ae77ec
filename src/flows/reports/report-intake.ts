/**
 * What a received HL7 message becomes: a committed row (raw bytes, report text, accession) and only then an
 * ACK AA. A message sent again (same sender and MSH-10) is ACKed again but not stored or processed twice.
 */
import type { Hl7MessagesRepo } from '../../db/index.js';
import { describeError } from '../../errors.js';
import { extractReport, type Hl7AckDecision, type ReceivedHl7Message } from '../../hl7/index.js';
import type { Logger } from '../../log.js';

export function reportIntakeHandler(deps: { messages: Hl7MessagesRepo; log: Logger; onStored?: () => void }): (m: ReceivedHl7Message) => Promise<Hl7AckDecision> {
  return async (received) => {
    const { message } = received;
    const report = extractReport(message);
    const sender = `${message.sender.application}^${message.sender.facility}`;
    const type = message.messageType;
    try {
      const { duplicate } = await deps.messages.storeCommitted(
        {
          sender,
          controlId: received.controlId,
          messageType: `${type.code}^${type.trigger}`,
          accessionNumber: report?.accessionNumber ?? '',
          studyInstanceUid: report?.studyInstanceUid ?? '',
          resultStatus: report?.resultStatus ?? '',
          reportText: report?.text ?? null,
          raw: received.raw,
          encoding: received.encoding,
          peer: received.peer.address,
        },
        received.receivedAt.getTime(),
      );
      if (duplicate) deps.log.info('HL7 message received again: acknowledged, not processed twice', { messageType: `${type.code}^${type.trigger}` });
      else deps.onStored?.();
      return duplicate ? { code: 'AA', text: 'duplicate message control id: already received' } : { code: 'AA' };
    } catch (err) {
      deps.log.error('HL7 message not stored', { code: 'GW_ERR_HL7_HANDLER_FAILED', err: describeError(err) });
      return { code: 'AE', error: { condition: '207', userMessage: 'the gateway could not store the message; send it again', applicationCode: 'GW_ERR_HL7_HANDLER_FAILED' } };
    }
  };
}
