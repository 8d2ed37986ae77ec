import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFileMeta, type StoreRequest } from '../../../../src/dicom/index.js';
import { InstanceStoreHandler } from '../../../../src/flows/images/store-instance.js';
import { GatewayError } from '../../../../src/errors.js';
import { LocalSpool } from '../../../../src/storage/local-spool.js';
import { capturingLogger } from '../../../helpers/capturing-logger.js';
import { CORPUS, listFiles, runCleanups, tempDir } from '../../../helpers/fixtures.js';

/** The corpus CT as the SCP hands it over: its request and its dataset bytes. */
function ctSmall(): { request: StoreRequest; dataset: Buffer } {
  const bytes = readFileSync(join(CORPUS, 'dicom', 'pydicom__CT_small.dcm'));
  const meta = readFileMeta(bytes, bytes.length);
  if (meta.kind !== 'ok') throw new Error(meta.detail);
  const request = {
    associationId: 'a1', callingAeTitle: 'MODALITY', calledAeTitle: 'AIGATEWAY', peerAddress: '127.0.0.1', messageId: 1,
    sopClassUid: meta.meta.mediaStorageSopClassUid, sopInstanceUid: meta.meta.mediaStorageSopInstanceUid, transferSyntaxUid: meta.meta.transferSyntaxUid,
  } as StoreRequest;
  return { request, dataset: bytes.subarray(meta.meta.datasetOffset) };
}

/** The handler on a spool of its own, with the given index, as the SCP would call it; nothing else wired. */
function handlerOn(instances: ConstructorParameters<typeof InstanceStoreHandler>[0]['instances'], log = capturingLogger()): { spool: LocalSpool; handler: InstanceStoreHandler } {
  const spool = new LocalSpool(tempDir());
  return { spool, handler: new InstanceStoreHandler({ spool, instances, log, onRecorded: () => {}, isOwnResult: async () => false }) };
}

describe('flows/images/store-instance', () => {
  after(runCleanups);

  it('a file renamed into place whose index row then fails (disk full) is removed: no file stays that the index does not name', async () => {
    const { spool, handler } = handlerOn({ find: async () => undefined, record: async () => Promise.reject(new Error('SQLITE_FULL: database or disk is full')) });
    const { request, dataset } = ctSmall();
    const sink = handler.begin(request);
    sink.write(dataset);
    const outcome = await sink.finish();
    expect(outcome.kind).to.equal('failed');
    expect(listFiles(spool.root).filter((f) => f.endsWith('.dcm'))).to.deep.equal([]);
  });

  it('a file whose index commit may have succeeded (PostgreSQL lost mid-commit) is kept: never a row without its file', async () => {
    const lostMidCommit = new GatewayError('GW_ERR_DATABASE_FAILED', 'PostgreSQL record instance on instances failed: Connection terminated unexpectedly', {
      context: { engine: 'postgresql', operation: 'record instance', table: 'instances', outcome: 'unknown' },
    });
    const log = capturingLogger();
    const { spool, handler } = handlerOn({ find: async () => undefined, record: async () => Promise.reject(lostMidCommit) }, log);
    const { request, dataset } = ctSmall();
    const sink = handler.begin(request);
    sink.write(dataset);
    const outcome = await sink.finish();
    expect(outcome.kind, 'the sender is refused: the commit is not known to have happened').to.equal('failed');
    expect(listFiles(spool.root).filter((f) => f.endsWith('.dcm'))).to.have.length(1);
    expect(log.lines.map((l) => l.message)).to.include('instance file kept: its index commit may have succeeded');
  });

  it('a stored instance names its study, accession and Patient ID in its outcome (for the audit trail)', async () => {
    const { spool, handler } = handlerOn({ find: async () => undefined, record: async () => ({ studyInstanceUid: '', instanceCount: 1 }) as never });
    const { request, dataset } = ctSmall();
    const sink = handler.begin(request);
    sink.write(dataset);
    expect(await sink.finish()).to.deep.equal({ kind: 'stored', subject: { studyInstanceUid: '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322', accessionNumber: '', patientId: '1CT1' } });
    expect(listFiles(spool.root).filter((f) => f.endsWith('.dcm'))).to.have.length(1);
  });
});
