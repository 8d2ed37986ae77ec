import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deliveryOf } from '../../../src/app/audit.js';
import type { OutboxItem } from '../../../src/db/index.js';
import { LocalSpool } from '../../../src/storage/local-spool.js';
import { CORPUS, runCleanups, tempDir } from '../../helpers/fixtures.js';

const config = {
  dicom: { destinations: [{ name: 'PACS', aeTitle: 'ORTHANC', host: '127.0.0.1', port: 4242 }] },
  hl7: { destinations: [{ name: 'RIS', host: '127.0.0.1', port: 2575 }] },
} as unknown as Parameters<typeof deliveryOf>[0];

function item(over: Partial<OutboxItem>): OutboxItem {
  return { id: 1, partition: 'PACS', attempts: 1, createdAtMs: 0, kind: 'dicom', destination: 'PACS', studyInstanceUid: '1.2.3', dedupeKey: 'k', payload: '', state: 'delivered', nextAttemptAt: '', lastError: null, createdAt: '', deliveredAt: null, ...over };
}

describe('app/audit: the Export record of a delivery', () => {
  after(runCleanups);

  it('names the patient, SOP class and accession of the DICOM object sent, read from the file in the spool', async () => {
    const spool = new LocalSpool(tempDir());
    await spool.write('results/1.2.3/1.2.3.9.dcm', readFileSync(join(CORPUS, 'dicom', 'highdicom__sr_document.dcm')));
    const d = await deliveryOf(config, spool, item({ payload: 'results/1.2.3/1.2.3.9.dcm' }), { ok: true });
    expect(d).to.deep.include({ kind: 'dicom', host: 'ORTHANC@127.0.0.1:4242', patientId: '1CT1', sopClassUid: '1.2.840.10008.5.1.4.1.1.88.34' });
    expect(d.study).to.deep.equal({ studyInstanceUid: '1.2.3', accessionNumber: undefined });
  });

  it('still describes a delivery whose file is gone, without a patient', async () => {
    const d = await deliveryOf(config, new LocalSpool(tempDir()), item({ payload: 'results/1.2.3/missing.dcm' }), { ok: false, reason: 'refused' });
    expect(d.patientId).to.equal(undefined);
    expect(d.outcome).to.deep.equal({ ok: false, reason: 'refused' });
  });

  it('reads PID-3 and OBR-3 of an ORU', async () => {
    const oru = 'MSH|^~\\&|GW|H|RIS|H|20260101||ORU^R01|1|P|2.5.1\rPID|1||PID-9^^^HOSP||DOE^JANE\rOBR|1||ACC-4|x\r';
    const d = await deliveryOf(config, new LocalSpool(tempDir()), item({ kind: 'hl7', destination: 'RIS', payload: oru }), { ok: true });
    expect(d).to.deep.include({ host: '127.0.0.1:2575', patientId: 'PID-9' });
    expect(d.study.accessionNumber).to.equal('ACC-4');
  });
});
