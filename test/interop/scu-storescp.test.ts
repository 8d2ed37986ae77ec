/**
 * The SCU into DCMTK's bit-preserving storescp: C-ECHO, every corpus file arriving with the dataset bytes it
 * has on disk in its own transfer syntax, the whole corpus on one association, a 96 MB file streamed within
 * storescp's 16 KiB max PDU in bounded memory, and a CT series with its throughput beside storescu's.
 */
import { expect } from 'chai';
import { closeSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { buildFileMetaHeader } from '../../src/dicom/part10.js';
import { echo, storeFiles, type ScuOptions } from '../../src/dicom/scu.js';
import { readMeta } from '../../src/dicom/scu-file.js';
import { sameDataset } from '../../src/storage/compare.js';
import { generateCtSeries, startStorescp, storescu, type Storescp } from '../helpers/dcmtk.js';
import { CORPUS, runCleanups, tempDir } from '../helpers/fixtures.js';
import { requirePeers } from '../helpers/peers.js';

const CORPUS_FILES = readdirSync(join(CORPUS, 'dicom'))
  .filter((f) => f.endsWith('.dcm') && f !== 'pydicom__no_meta.dcm') // no meta header: nothing says its SOP class or TS
  .sort();

function datasetOf(file: string): Buffer {
  const bytes = readFileSync(file);
  return bytes.subarray(144 + bytes.readUInt32LE(140));
}

/** Equal datasets; an odd-length one arrives with the one NUL the SCU pads it with (PS3.5 §A.5, even fragments). */
async function expectSameDataset(original: string, received: string): Promise<void> {
  if (await sameDataset(original, received)) return;
  const a = datasetOf(original);
  const b = datasetOf(received);
  expect(a.length % 2, `${original}: datasets differ`).to.equal(1);
  expect(b.equals(Buffer.concat([a, Buffer.alloc(1)])), `${original}: odd dataset not sent as itself plus one NUL`).to.equal(true);
}

function clear(dir: string): void {
  for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
}

describe('interop: SCU into DCMTK storescp +B', function () {
  this.timeout(120_000);
  let ref: Storescp;
  let scu: ScuOptions;

  before(async function () {
    requirePeers(this, 'storescp', 'echoscu', 'cc');
    ref = await startStorescp('REFSCP');
    scu = { host: '127.0.0.1', port: ref.port, callingAeTitle: 'AIGATEWAY', calledAeTitle: 'REFSCP' };
  });
  after(async () => {
    await ref?.stop();
    runCleanups();
  });

  it('C-ECHO succeeds', async () => {
    const r = await echo(scu);
    expect(r.kind, JSON.stringify(r)).to.equal('success');
  });

  for (const name of CORPUS_FILES) {
    it(`stores ${name} with its dataset bytes unchanged, in its own transfer syntax`, async () => {
      const file = join(CORPUS, 'dicom', name);
      clear(ref.dir);
      const r = await storeFiles(scu, [{ path: file }]);
      expect(r.association.kind, JSON.stringify(r.association)).to.equal('released');
      expect(r.files[0]?.outcome, JSON.stringify(r.files[0])).to.deep.include({ kind: 'stored', status: 0 });
      const received = readdirSync(ref.dir);
      expect(received).to.have.length(1);
      const stored = join(ref.dir, received[0] as string);
      await expectSameDataset(file, stored);
      const [sent, got] = [await readMeta({ path: file }), await readMeta({ path: stored })];
      expect(got.kind === 'ok' && got.meta.transferSyntaxUid).to.equal(sent.kind === 'ok' && sent.meta.transferSyntaxUid);
    });
  }

  it('sends the whole corpus on one association, one presentation context per (SOP class, transfer syntax)', async () => {
    clear(ref.dir);
    const files = CORPUS_FILES.map((n) => ({ path: join(CORPUS, 'dicom', n) }));
    const r = await storeFiles(scu, files);
    expect(r.association.kind).to.equal('released');
    expect(r.files.map((f) => f.outcome.kind)).to.deep.equal(files.map(() => 'stored'));
    // storescp names files by SOP Instance UID: corpus files sharing one overwrite each other
    expect(readdirSync(ref.dir)).to.have.length(new Set(r.files.map((f) => f.sopInstanceUid)).size);
  });

  it('streams a 96 MB file within the peer\'s 16 KiB max PDU without holding it in memory', async () => {
    clear(ref.dir);
    const sizeBytes = 96 * 1024 * 1024;
    const file = join(tempDir('pag-scu-big-'), 'big.dcm');
    writeLargeSecondaryCapture(file, sizeBytes);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
    const started = Date.now();
    const r = await storeFiles(scu, [{ path: file }]);
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    expect(r.files[0]?.outcome.kind, JSON.stringify(r)).to.equal('stored');
    console.log(`      96 MB in ${seconds.toFixed(2)} s (${(96 / seconds).toFixed(0)} MB/s), RSS +${((rssPeak - rssBefore) / 1048576).toFixed(0)} MB`);
    expect(rssPeak - rssBefore, 'RSS growth while sending').to.be.below(48 * 1024 * 1024);
    const received = readdirSync(ref.dir);
    expect(received).to.have.length(1);
    expect(await sameDataset(file, join(ref.dir, received[0] as string))).to.equal(true);
  });

  it('sends a 100-instance CT series (and prints its throughput beside storescu\'s)', async function () {
    requirePeers(this, 'storescu', '/usr/bin/python3');
    const files = await generateCtSeries(100, 7);
    clear(ref.dir);
    const t0 = Date.now();
    const r = await storeFiles(scu, files.map((path) => ({ path })));
    const ours = (Date.now() - t0) / 1000;
    expect(r.files.filter((f) => f.outcome.kind === 'stored')).to.have.length(100);
    expect(readdirSync(ref.dir)).to.have.length(100);
    clear(ref.dir);
    const t1 = Date.now();
    const dcmtk = await storescu(ref.port, files, { calledAe: 'REFSCP' });
    const theirs = (Date.now() - t1) / 1000;
    expect(dcmtk.code).to.equal(0);
    const mb = files.reduce((n, f) => n + readFileSync(f).length, 0) / 1e6;
    console.log(
      `      SCU ${(100 / ours).toFixed(0)} img/s (${(mb / ours).toFixed(0)} MB/s); storescu ${(100 / theirs).toFixed(0)} img/s; ratio ${(theirs / ours).toFixed(2)}×`,
    );
  });
});

/** A Secondary Capture Part-10 file of about `sizeBytes`, written in 1 MiB chunks (never whole in memory). */
function writeLargeSecondaryCapture(path: string, sizeBytes: number): void {
  const sopClass = '1.2.840.10008.5.1.4.1.1.7';
  const sopInstance = `2.25.${BigInt('0x' + Buffer.from(Array.from({ length: 16 }, () => Math.floor(Math.random() * 256))).toString('hex'))}`;
  const ui = (element: number, uid: string): Buffer => {
    const v = Buffer.from(uid.length % 2 === 1 ? `${uid}\0` : uid, 'latin1');
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0x0008, 0);
    h.writeUInt16LE(element, 2);
    h.write('UI', 4, 'latin1');
    h.writeUInt16LE(v.length, 6);
    return Buffer.concat([h, v]);
  };
  const pixelLength = sizeBytes - 1024 - (sizeBytes % 2);
  const pixelHeader = Buffer.alloc(12);
  pixelHeader.writeUInt16LE(0x7fe0, 0);
  pixelHeader.writeUInt16LE(0x0010, 2);
  pixelHeader.write('OB', 4, 'latin1');
  pixelHeader.writeUInt32LE(pixelLength, 8);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, Buffer.concat([buildFileMetaHeader({ sopClassUid: sopClass, sopInstanceUid: sopInstance, transferSyntaxUid: '1.2.840.10008.1.2.1' }), ui(0x0016, sopClass), ui(0x0018, sopInstance), pixelHeader]));
    const chunk = Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31) % 256));
    for (let left = pixelLength; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  } finally {
    closeSync(fd);
  }
}
