/**
 * The SCP against real DCMTK senders: every corpus file and a 200-instance CT series stored byte-identical
 * to what DCMTK's bit-preserving storescp stores from the same sender; C-ECHO; association rejections.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sameDataset } from '../../src/storage/compare.js';
import { dcmsend, echoscu, generateCtSeries, startStorescp, storeResponses, storescu, type Storescp } from '../helpers/dcmtk.js';
import { CORPUS, listFiles, runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers } from '../helpers/peers.js';

interface StudyJson {
  studyInstanceUid: string;
  instanceCount: number;
  status: string;
  modalities: string[];
  accessionNumber: string;
}

function storedFile(gw: TestGateway, sopInstanceUid: string): string | undefined {
  return listFiles(join(gw.dataDir, 'spool')).find((f) => basename(f) === `${sopInstanceUid}.dcm`);
}

function onlyFile(dir: string): string {
  const files = readdirSync(dir);
  if (files.length !== 1) throw new Error(`expected one file in ${dir}, found ${files.join(', ')}`);
  return join(dir, files[0] as string);
}

/** SOP Instance UID of a Part-10 file, as DCMTK reads it. */
function sopUidOf(refFile: string): string {
  const out = execFileSync('dcmdump', ['-q', '+P', '0008,0018', refFile], { encoding: 'utf8' });
  const m = /\[([0-9.]+)\]/.exec(out);
  if (m === null) throw new Error(`no SOP Instance UID in ${refFile}: ${out}`);
  return m[1] as string;
}

describe('interop: DICOM SCP with DCMTK', function () {
  this.timeout(300_000);
  let gw: TestGateway;
  let ref: Storescp;

  before(async function () {
    requirePeers(this, 'echoscu', 'storescu', 'dcmsend', 'storescp', 'cc', '/usr/bin/python3');
    gw = await startGateway();
    ref = await startStorescp();
  });
  after(async () => {
    await gw?.stop();
    await ref?.stop();
    runCleanups();
  });

  it('answers C-ECHO from echoscu', async () => {
    const r = await echoscu(gw.dicomPort);
    expect(r.code, r.stderr).to.equal(0);
  });

  const corpusFiles = readdirSync(join(CORPUS, 'dicom'))
    .filter((f) => f.endsWith('.dcm') && f !== 'pydicom__no_meta.dcm') // no meta, no SOP UIDs: DCMTK cannot send it
    .sort();

  for (const name of corpusFiles) {
    it(`stores ${name} byte-identical to storescp +B`, async () => {
      const file = join(CORPUS, 'dicom', name);
      for (const f of readdirSync(ref.dir)) rmSync(join(ref.dir, f));
      const toRef = await dcmsend(ref.port, [file], { calledAe: 'REFSCP' });
      expect(toRef.code, toRef.stderr).to.equal(0);
      const toUs = await dcmsend(gw.dicomPort, [file]);
      expect(toUs.code, toUs.stderr).to.equal(0);
      const refFile = onlyFile(ref.dir);
      const ours = storedFile(gw, sopUidOf(refFile));
      expect(ours, 'stored file').to.be.a('string');
      expect(await sameDataset(refFile, ours as string), 'dataset bytes equal').to.equal(true);
    });
  }

  it('indexes what it stored: one study per corpus study, with modalities and instance counts', async () => {
    const { body } = await gw.getJson<StudyJson[]>('/api/studies');
    const ct = body.find((s) => s.studyInstanceUid === '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322');
    expect(ct?.modalities).to.include('CT');
    // corpus files sharing a SOP Instance UID are one instance (latest wins), so counts are per distinct UID
    const total = body.reduce((n, s) => n + s.instanceCount, 0);
    expect(total).to.be.greaterThan(10).and.lessThan(corpusFiles.length);
  });

  it('treats a byte-identical resend as a duplicate: Success, no second instance', async () => {
    const file = join(CORPUS, 'dicom', 'pydicom__CT_small.dcm');
    const before = (await gw.getJson<StudyJson[]>('/api/studies')).body.reduce((n, s) => n + s.instanceCount, 0);
    const r = await dcmsend(gw.dicomPort, [file]);
    expect(r.code, r.stderr).to.equal(0);
    const afterCount = (await gw.getJson<StudyJson[]>('/api/studies')).body.reduce((n, s) => n + s.instanceCount, 0);
    expect(afterCount).to.equal(before);
  });

  it('stores a generated 200-instance CT series byte-identical to storescp +B and completes the study', async () => {
    const files = await generateCtSeries(200, 42);
    for (const f of readdirSync(ref.dir)) rmSync(join(ref.dir, f));
    const [toRef, toUs] = await Promise.all([storescu(ref.port, files, { calledAe: 'REFSCP' }), storescu(gw.dicomPort, files)]);
    expect(toRef.code, toRef.stderr).to.equal(0);
    expect(toUs.code, toUs.stderr).to.equal(0);
    expect(storeResponses(toUs.stdout + toUs.stderr).filter((s) => s === 'Success')).to.have.length(200);
    for (const refName of readdirSync(ref.dir)) {
      const ours = storedFile(gw, sopUidOf(join(ref.dir, refName)));
      expect(ours, refName).to.be.a('string');
      expect(await sameDataset(join(ref.dir, refName), ours as string), refName).to.equal(true);
    }
    const study = await waitFor('the CT study to complete', async () => {
      const { body } = await gw.getJson<StudyJson[]>('/api/studies');
      return body.find((s) => s.accessionNumber === 'BENCH0042' && s.status !== 'receiving'); // complete, then analysed by the demo model
    });
    expect(study.instanceCount).to.equal(200);
  });
});

describe('interop: association policy seen by echoscu', function () {
  this.timeout(60_000);
  let gw: TestGateway;

  before(async function () {
    requirePeers(this, 'echoscu');
    gw = await startGateway({ dicom: { allowedPeers: [{ aeTitle: 'PACS', host: '127.0.0.1' }, { aeTitle: 'REMOTE', host: '127.0.0.2' }] } });
  });
  after(async () => {
    await gw?.stop();
    runCleanups();
  });

  it('accepts the listed calling AE from its address', async () => {
    expect((await echoscu(gw.dicomPort, { callingAe: 'PACS' })).code).to.equal(0);
  });

  it('rejects an unknown calling AE title: "Calling AE Title Not Recognized"', async () => {
    const r = await echoscu(gw.dicomPort, { callingAe: 'STRANGER' });
    expect(r.code).to.not.equal(0);
    expect(r.stdout + r.stderr).to.match(/Rejected Permanent.*Service User[\s\S]*Calling AE Title Not Recognized/i);
  });

  it('rejects a wrong called AE title: "Called AE Title Not Recognized"', async () => {
    const r = await echoscu(gw.dicomPort, { callingAe: 'PACS', calledAe: 'SOMEONEELSE' });
    expect(r.code).to.not.equal(0);
    expect(r.stdout + r.stderr).to.match(/Called AE Title Not Recognized/i);
  });

  it('rejects a listed AE title calling from an unlisted address', async () => {
    const r = await echoscu(gw.dicomPort, { callingAe: 'REMOTE' });
    expect(r.code).to.not.equal(0);
    expect(r.stdout + r.stderr).to.match(/Calling AE Title Not Recognized/i);
  });
});
