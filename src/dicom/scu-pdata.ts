/**
 * Cuts dataset bytes into P-DATA-TF PDUs for sending (PS3.8 §9.3.5, Annex E.2): each fragment fits the peer's
 * Maximum Length Received, the last one is flagged, and the data is never copied (header + view pairs for writev).
 */
import { PduType } from './pdu.js';

/** We send PDUs of at most 1 MiB even to a peer that allows more (or says 0, unlimited). */
export const MAX_SEND_FRAGMENT = 1024 * 1024;

/**
 * The largest fragment of data one PDU may carry to a peer. The peer's Maximum Length Received (PS3.8 Annex D.1)
 * bounds the PDU's variable part, which includes each PDV item's 6-byte header (4-byte length, context id, control).
 * Always even: DICOM values have even lengths (PS3.5 §7.1.1) and DCMTK aborts on an odd fragment.
 */
export function fragmentBytesFor(peerMaxPduLength: number): number {
  const max = peerMaxPduLength > 0 ? Math.min(peerMaxPduLength - 6, MAX_SEND_FRAGMENT) : MAX_SEND_FRAGMENT;
  return Math.max(2, max - (max % 2));
}

/** The 12 bytes before one PDV fragment: P-DATA-TF header, PDV length, context id, control byte. */
export function pdvHeader(contextId: number, isCommand: boolean, isLast: boolean, dataBytes: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt8(PduType.PData, 0);
  h.writeUInt32BE(6 + dataBytes, 2);
  h.writeUInt32BE(2 + dataBytes, 6);
  h.writeUInt8(contextId, 10);
  h.writeUInt8((isCommand ? 0x01 : 0x00) | (isLast ? 0x02 : 0x00), 11);
  return h;
}

/**
 * One block of a message as [header, data view, header, data view, …].
 * @param endsMessage whether this block holds the message's last byte (its last fragment gets the last flag)
 */
export function fragmentBlock(contextId: number, isCommand: boolean, block: Buffer, fragmentBytes: number, endsMessage: boolean): Buffer[] {
  if (block.length === 0) return [pdvHeader(contextId, isCommand, endsMessage, 0)];
  const parts: Buffer[] = [];
  for (let off = 0; off < block.length; off += fragmentBytes) {
    const end = Math.min(off + fragmentBytes, block.length);
    parts.push(pdvHeader(contextId, isCommand, endsMessage && end === block.length, end - off), block.subarray(off, end));
  }
  return parts;
}
