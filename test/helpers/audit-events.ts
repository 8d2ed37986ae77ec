/** One of every audit event the gateway emits, through GatewayAudit into a capturing sink (schema and unit tests). */
import type { AuditRecord } from '../../src/audit/audit-event.js';
import { GatewayAudit } from '../../src/audit/index.js';
import type { AssociationSummary, StoreHandler, StoreOutcome } from '../../src/dicom/index.js';

export const TEST_PATIENT_NAME = 'DOE^JANE';
export const STUDY_UID = '1.2.826.0.1.3680043.8.498.1';

/** Each event name with its records (an API read of 120 studies gives three). */
export async function everyAuditEvent(): Promise<Array<{ name: string; records: AuditRecord[] }>> {
  const out: Array<{ name: string; records: AuditRecord[] }> = [];
  let current: AuditRecord[] = [];
  const sink = { record: (r: AuditRecord) => void current.push(r) };
  const audit = new GatewayAudit(sink, { aeTitle: 'AIGATEWAY', host: 'gw.example', pid: 4242 }, () => Promise.resolve(STUDY_UID), () => new Date('2024-05-01T10:00:00.123Z'));
  const step = async (name: string, act: () => void | Promise<void>): Promise<void> => {
    current = [];
    await act();
    out.push({ name, records: current });
  };
  await step('application start', () => audit.applicationStarted('pacs'));
  await step('association accepted', () => audit.scpEvent({ type: 'association-accepted', associationId: 'a1', callingAeTitle: 'MODALITY', calledAeTitle: 'AIGATEWAY', peerAddress: '10.0.0.5' }));
  await step('association rejected', () =>
    audit.scpEvent({ type: 'association-rejected', associationId: 'a2', reason: 'calling-ae-not-recognized', detail: 'calling AE title "ROGUE" is not in dicom.allowedPeers', callingAeTitle: 'ROGUE <&>', calledAeTitle: 'AIGATEWAY', peerAddress: '10.0.0.6' }),
  );
  await step('connection refused', () => audit.scpEvent({ type: 'connection-refused', peerAddress: '192.0.2.1', reason: 'address not in dicom.allowedPeers' }));
  await step('instances received', async () => {
    const handler = audit.storeHandler(storedHandler);
    const dataset = ctDataset();
    for (const sop of ['1.2.3.1', '1.2.3.2']) {
      const sink = handler.begin({ associationId: 'a1', callingAeTitle: 'MODALITY', calledAeTitle: 'AIGATEWAY', peerAddress: '10.0.0.5', sopClassUid: '1.2.840.10008.5.1.4.1.1.2' as never, sopInstanceUid: sop as never, transferSyntaxUid: '1.2.840.10008.1.2.1', messageId: 1 });
      sink.write(dataset);
      await sink.finish();
    }
    audit.associationEnded(summary('a1'));
  });
  await step('SR exported', () => audit.delivered({ kind: 'dicom', destination: 'pacs', host: 'PACS@10.0.0.9:104', study: { studyInstanceUid: STUDY_UID }, sopClassUid: '1.2.840.10008.5.1.4.1.1.88.34', outcome: { ok: true } }));
  await step('ORU export failed', () => audit.delivered({ kind: 'hl7', destination: 'ris', host: '10.0.0.10:2575', study: { studyInstanceUid: STUDY_UID, accessionNumber: 'ACC1' }, patientId: 'PID-7', outcome: { ok: false, reason: 'no ACK within 30000 ms' } }));
  await step('HL7 report imported', () => audit.messageStored({ sender: { name: 'RIS^HOSP', address: '10.0.0.10' }, messageType: 'ORU^R01', controlId: 'MSG0001', study: { studyInstanceUid: STUDY_UID, accessionNumber: 'ACC1' }, patientId: 'PID-7' }));
  await step('API read', () =>
    audit.apiAccess({ kind: 'read', path: '/api/studies', caller: { user: 'token-sha256:0123456789ab', address: '10.0.0.20' }, studies: Array.from({ length: 120 }, (_, i) => ({ studyInstanceUid: `1.2.3.${i}`, accessionNumber: `A${i}` })) }),
  );
  await step('API resend', () => audit.apiAccess({ kind: 'resend', outboxId: 7, caller: { user: 'anonymous', address: '127.0.0.1' }, ok: true }));
  await step('API token refused', () => audit.apiAccess({ kind: 'unauthorized', path: '/api/studies', caller: { user: 'unauthenticated', address: '10.0.0.21' }, reason: 'invalid' }));
  await step('TLS reloaded', () => audit.tlsReload('dicom.tls', { ok: true }));
  await step('TLS reload failed', () => audit.tlsReload('hl7.tls', { ok: false, reason: 'hl7.tls.certFile: no such file' }));
  await step('application stop', () => audit.applicationStopped('pacs'));
  return out;
}

/**
 * A store handler that stores everything and names what it stored, as the images flow does (the subject it read
 * from the dataset: the wrapped handler's bytes are never parsed twice).
 */
const storedHandler: StoreHandler = {
  begin: () => ({
    write: () => true,
    waitDrain: () => Promise.resolve(),
    abort: () => {},
    finish: (): Promise<StoreOutcome> => Promise.resolve({ kind: 'stored', subject: { studyInstanceUid: STUDY_UID, accessionNumber: 'ACC1', patientId: 'PID-7' } }),
  }),
};

function summary(associationId: string): AssociationSummary {
  return { associationId, peerAddress: '10.0.0.5', transport: 'tcp', callingAeTitle: 'MODALITY', calledAeTitle: 'AIGATEWAY', outcome: 'released', instancesStored: 2, instancesFailed: 0, datasetBytes: 0, durationMs: 5 };
}

/** A small explicit-VR-LE dataset: accession, patient name and ID, study and series UIDs. */
function ctDataset(): Buffer {
  const el = (group: number, element: number, vr: string, value: string): Buffer => {
    const v = Buffer.from(value.length % 2 === 0 ? value : `${value}${vr === 'UI' ? '\0' : ' '}`, 'latin1');
    const head = Buffer.alloc(8);
    head.writeUInt16LE(group, 0);
    head.writeUInt16LE(element, 2);
    head.write(vr, 4, 'latin1');
    head.writeUInt16LE(v.length, 6);
    return Buffer.concat([head, v]);
  };
  return Buffer.concat([
    el(0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
    el(0x0008, 0x0018, 'UI', '1.2.3.1'),
    el(0x0008, 0x0050, 'SH', 'ACC1'),
    el(0x0008, 0x0060, 'CS', 'CT'),
    el(0x0010, 0x0010, 'PN', TEST_PATIENT_NAME),
    el(0x0010, 0x0020, 'LO', 'PID-7'),
    el(0x0020, 0x000d, 'UI', STUDY_UID),
    el(0x0020, 0x000e, 'UI', `${STUDY_UID}.1`),
  ]);
}
