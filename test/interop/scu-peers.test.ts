/**
 * The SCU into the peers it will meet: our own SCP (the gateway, in-process) and Orthanc as the PACS. Every
 * corpus file is stored on one association; each peer is asked, through its own view, what arrived.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { echo, storeFiles, type FileResult } from '../../src/dicom/scu.js';
import { sameDataset } from '../../src/storage/compare.js';
import { CORPUS, listFiles, runCleanups } from '../helpers/fixtures.js';
import { gatewayPerSuite } from '../helpers/gateway.js';
import { startOrthanc, type Orthanc } from '../helpers/orthanc.js';
import { requirePeers } from '../helpers/peers.js';

const CORPUS_PATHS = readdirSync(join(CORPUS, 'dicom'))
  .filter((f) => f.endsWith('.dcm') && f !== 'pydicom__no_meta.dcm')
  .sort()
  .map((f) => join(CORPUS, 'dicom', f));

/** SOP Instance UIDs that more than one corpus file carries (a later copy may replace or be refused as a duplicate). */
function sharedUids(files: FileResult[]): Set<string> {
  const seen = new Map<string, number>();
  for (const f of files) seen.set(f.sopInstanceUid ?? '', (seen.get(f.sopInstanceUid ?? '') ?? 0) + 1);
  return new Set([...seen].filter(([, n]) => n > 1).map(([uid]) => uid));
}

function datasetOf(file: string): Buffer {
  const bytes = readFileSync(file);
  return bytes.subarray(144 + bytes.readUInt32LE(140));
}

describe('interop: SCU into our own SCP (the gateway)', function () {
  this.timeout(60_000);
  const gw = gatewayPerSuite();

  it('C-ECHO succeeds', async () => {
    const r = await echo({ host: '127.0.0.1', port: gw().dicomPort, callingAeTitle: 'AIGATEWAY2', calledAeTitle: 'AIGATEWAY' });
    expect(r.kind, JSON.stringify(r)).to.equal('success');
  });

  it('stores every corpus file on one association; the spool holds the dataset bytes sent', async () => {
    const r = await storeFiles({ host: '127.0.0.1', port: gw().dicomPort, callingAeTitle: 'AIGATEWAY2', calledAeTitle: 'AIGATEWAY' }, CORPUS_PATHS.map((path) => ({ path })));
    expect(r.association.kind).to.equal('released');
    expect(r.files.map((f) => `${basename(f.file)}: ${f.outcome.kind}`)).to.deep.equal(CORPUS_PATHS.map((p) => `${basename(p)}: stored`));
    const spool = listFiles(join(gw().dataDir, 'spool')).filter((f) => f.endsWith('.dcm'));
    const shared = sharedUids(r.files);
    for (const f of r.files.filter((x) => !shared.has(x.sopInstanceUid ?? ''))) {
      const stored = spool.find((p) => basename(p) === `${f.sopInstanceUid}.dcm`);
      expect(stored, f.file).to.be.a('string');
      const same = await sameDataset(f.file, stored as string);
      // an odd-length dataset arrives with one trailing NUL (even fragments)
      expect(same || datasetOf(stored as string).equals(Buffer.concat([datasetOf(f.file), Buffer.alloc(1)])), f.file).to.equal(true);
    }
  });
});

describe('interop: SCU into Orthanc', function () {
  this.timeout(60_000);
  let orthanc: Orthanc;

  before(async function () {
    requirePeers(this, 'Orthanc', 'cc');
    orthanc = await startOrthanc({ aeTitle: 'ORTHANC', checkCalledAet: true });
  });
  after(async () => {
    await orthanc?.stop();
    runCleanups();
  });

  it('C-ECHO succeeds', async () => {
    const r = await echo({ host: '127.0.0.1', port: orthanc.dicomPort, callingAeTitle: 'AIGATEWAY', calledAeTitle: 'ORTHANC' });
    expect(r.kind, JSON.stringify(r)).to.equal('success');
  });

  it('stores every corpus file; Orthanc holds each instance in the transfer syntax it was sent in, from our AE title', async () => {
    const r = await storeFiles({ host: '127.0.0.1', port: orthanc.dicomPort, callingAeTitle: 'AIGATEWAY', calledAeTitle: 'ORTHANC' }, CORPUS_PATHS.map((path) => ({ path })));
    expect(r.association.kind, JSON.stringify(r.association)).to.equal('released');
    expect(r.files.map((f) => `${basename(f.file)}: ${f.outcome.kind}`)).to.deep.equal(CORPUS_PATHS.map((p) => `${basename(p)}: stored`));
    const uids = new Set(r.files.map((f) => f.sopInstanceUid));
    expect(await orthanc.instances()).to.have.length(uids.size);
    const shared = sharedUids(r.files);
    for (const f of r.files) {
      const id = await orthanc.findInstance(f.sopInstanceUid as string);
      expect(id, `${f.file} in Orthanc`).to.be.a('string');
      if (shared.has(f.sopInstanceUid ?? '')) continue; // Orthanc keeps the first copy
      const meta = await orthanc.getJson<Record<string, string>>(`/instances/${id}/metadata?expand`);
      expect(meta.TransferSyntax, f.file).to.equal(f.transferSyntaxUid);
      expect(meta.RemoteAET).to.equal('AIGATEWAY');
      expect(meta.CalledAET).to.equal('ORTHANC');
    }
  });
});
