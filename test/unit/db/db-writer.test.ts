import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DbWriter, openDatabase } from '../../../src/db/index.js';
import type { InstanceRecord } from '../../../src/db/instance-types.js';
import type { GatewayError } from '../../../src/errors.js';
import type { WorkerCrash } from '../../../src/workers/index.js';
import { tempDir } from '../../helpers/fixtures.js';

function record(n: number): InstanceRecord {
  return {
    sopInstanceUid: `1.2.3.4.${n}`,
    studyInstanceUid: '1.2.3',
    seriesInstanceUid: '1.2.3.4',
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    accessionNumber: 'A1',
    modality: 'CT',
    bodyPart: 'CHEST',
    seriesNumber: 1,
    instanceNumber: n,
    sizeBytes: 1000,
    path: `1.2.3/1.2.3.4/${n}.dcm`,
    callingAe: 'MODALITY',
    receivedAtMs: 1_700_000_000_000,
    studyDate: '20240101',
    studyDescription: 'CT CHEST',
    expectedStudyInstances: undefined,
    reopensStudy: true,
  };
}

describe('db/DbWriter (instance writes in the writer worker)', () => {
  it('resolves each of many concurrent writes once committed, with the study\'s progress', async () => {
    const path = join(tempDir(), 'gw.sqlite');
    const writer = new DbWriter({ path, studyQuietSeconds: 10 });
    try {
      const progress = await Promise.all(Array.from({ length: 20 }, (_, i) => writer.recordInstance(record(i + 1))));
      expect(Math.max(...progress.map((p) => p.instanceCount))).to.equal(20);
      const db = openDatabase(path);
      expect(db.prepare('SELECT count(*) AS n FROM instances').get()).to.deep.equal({ n: 20 });
      db.close();
    } finally {
      await writer.close();
    }
    const err = await writer.recordInstance(record(99)).then(() => undefined, (e: unknown) => e as GatewayError);
    expect(err?.code).to.equal('GW_ERR_SHUTTING_DOWN');
  });

  it('rejects writes, and reports the crash, when the database cannot be opened', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-dir'), '');
    const crashes: WorkerCrash[] = [];
    const writer = new DbWriter({ path: join(dir, 'not-a-dir', 'gw.sqlite'), studyQuietSeconds: 10, onCrash: (c) => crashes.push(c) });
    try {
      const err = await writer.recordInstance(record(1)).then(() => undefined, (e: unknown) => e as GatewayError);
      expect(err?.code).to.equal('GW_ERR_WORKER_FAILED');
      expect(err?.message).to.match(/^database writer worker failed to start: .*not-a-dir/, err?.message);
      expect(crashes[0]?.cause.kind).to.equal('init-failed');
    } finally {
      await writer.close();
    }
  });
});
