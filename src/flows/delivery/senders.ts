/** How the outbox sends each kind of item: a DICOM SR by C-STORE, an HL7 message over MLLP with its ACK checked. */
import type { DicomDestination, TlsClientSettings } from '../../config/index.js';
import type { OutboxItem } from '../../db/index.js';
import { deliveryVerdict, storeFiles } from '../../dicom/index.js';
import { MllpClient, type MllpSendKind } from '../../hl7/index.js';
import type { Logger } from '../../log.js';
import type { Spool } from '../../storage/index.js';
import type { SendOutcome } from './outbox-delivery.js';

export interface SendTimeouts {
  connectTimeoutMs: number;
  dimseTimeoutMs: number;
  ackTimeoutMs: number;
}

/** C-STORE of the SR file from the gateway's AE title; delivered on Success or a warning status only. */
export function dicomSender(dest: DicomDestination, callingAeTitle: string, spool: Pick<Spool, 'withLocalFile'>, t: SendTimeouts): (item: OutboxItem) => Promise<SendOutcome> {
  return async (item) => {
    // The SCU streams from a file path; the spool lends one for the length of the send.
    const result = await spool.withLocalFile(item.payload, (path) =>
      storeFiles(
        { host: dest.host, port: dest.port, callingAeTitle, calledAeTitle: dest.aeTitle, connectTimeoutMs: t.connectTimeoutMs, dimseTimeoutMs: t.dimseTimeoutMs, tls: dest.tls },
        [{ path }],
      ),
    );
    const file = result.files[0];
    return file === undefined ? { kind: 'failed', retryable: true, reason: 'no result from the SCU' } : deliveryVerdict(file);
  };
}

/**
 * One message per connection, ACK awaited and its MSA-2 checked against our MSH-10 (MllpClient).
 * `onResult` sees how each send ended (for the metrics).
 */
export function hl7Sender(dest: { host: string; port: number; tls?: TlsClientSettings | undefined }, t: SendTimeouts, log: Logger, onResult?: (kind: MllpSendKind) => void): (item: OutboxItem) => Promise<SendOutcome> {
  const client = new MllpClient({ host: dest.host, port: dest.port, connectTimeoutMs: t.connectTimeoutMs, ackTimeoutMs: t.ackTimeoutMs, keepAlive: false, tls: dest.tls }, { log });
  return async (item) => {
    const r = await client.send(item.payload);
    onResult?.(r.kind);
    if (r.kind === 'accepted') return { kind: 'delivered' };
    // AR means this message will never be accepted: dead letter. Everything else may pass later.
    return { kind: 'failed', retryable: r.kind !== 'application-reject', reason: `${r.kind}: ${r.detail.message}` };
  };
}
