/**
 * The Spool seam on the local folder: a temp file is invisible under its key until committed (a crash before the
 * commit leaves nothing visible, and the next start clears it), read / stat / compare / remove by key, and keys that
 * are not `[results/]<UID>/<UID>.dcm` are refused before they can name a file.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFileMetaHeader, type Uid } from '../../../src/dicom/index.js';
import { GatewayError } from '../../../src/errors.js';
import { LocalSpool } from '../../../src/storage/local-spool.js';
import type { Spool, SpoolTempFile } from '../../../src/storage/spool.js';
import { instanceKey, isSpoolKey, resultKey } from '../../../src/storage/spool-key.js';
import { rejection, runCleanups, tempDir } from '../../helpers/fixtures.js';

const STUDY = '1.2.826.0.1.3680043.2.1125.1' as Uid;
const SOP = '1.2.826.0.1.3680043.2.1125.1.7' as Uid;
const KEY = instanceKey(STUDY, SOP);

/** A Part-10 file as the SCP writes it: our meta header (naming the sender) and the dataset bytes as received. */
function part10(dataset: Buffer, sourceAeTitle: string): Buffer {
  const meta = buildFileMetaHeader({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: SOP, transferSyntaxUid: '1.2.840.10008.1.2.1', sourceAeTitle });
  return Buffer.concat([meta, dataset]);
}

async function received(spool: Spool, bytes: Buffer): Promise<SpoolTempFile> {
  const file = spool.createTempFile();
  file.write(bytes);
  await file.finish();
  return file;
}


describe('storage/local-spool', () => {
  after(runCleanups);

  it('a finished temp file is invisible under its key until committed; a crash before the commit leaves nothing', async () => {
    const dir = tempDir();
    const spool = new LocalSpool(dir);
    await received(spool, part10(Buffer.from('dataset'), 'MODALITY'));
    expect(await spool.stat(KEY)).to.equal(undefined);
    expect(await rejection(spool.read(KEY))).to.be.instanceOf(GatewayError);
    // The process dies here: the next start clears the temp folder, and still nothing is under the key.
    const restarted = new LocalSpool(dir);
    expect(readdirSync(join(restarted.root, '.tmp'))).to.deep.equal([]);
    expect(readdirSync(restarted.root)).to.deep.equal(['.tmp']);
    expect(await restarted.stat(KEY)).to.equal(undefined);
  });

  it('on a shared spool each node keeps its temp files apart: a node restarting clears its own leftovers, never a file another node is writing', async () => {
    const dir = tempDir();
    const a = new LocalSpool(dir, { node: 'gw-a' });
    const inFlight = await received(a, part10(Buffer.from('being received by gw-a'), 'MODALITY'));
    const b = new LocalSpool(dir, { node: 'gw-b' });
    await received(b, part10(Buffer.from('left by a crash of gw-b'), 'MODALITY'));
    const restartedB = new LocalSpool(dir, { node: 'gw-b' });
    expect(readdirSync(join(restartedB.root, '.tmp', 'gw-b')), "gw-b's crash leftover").to.deep.equal([]);
    expect(readdirSync(join(restartedB.root, '.tmp', 'gw-a')), "gw-a's file in flight").to.have.length(1);
    await inFlight.commitAs(KEY);
    expect((await a.read(KEY)).includes(Buffer.from('being received by gw-a'))).to.equal(true);
  });

  it('commit makes the whole file visible under its key, with read, stat and a local file of the same bytes', async () => {
    const spool = new LocalSpool(tempDir());
    const bytes = part10(Buffer.alloc(300_000, 7), 'MODALITY'); // larger than one write batch
    const file = await received(spool, bytes);
    expect(await file.read(bytes.length - 10, 100)).to.deep.equal(bytes.subarray(bytes.length - 10));
    const { durable } = await file.commitAs(KEY);
    await durable;
    expect(await spool.stat(KEY)).to.deep.equal({ sizeBytes: bytes.length });
    expect((await spool.read(KEY)).equals(bytes)).to.equal(true);
    expect(await spool.withLocalFile(KEY, async (path) => readFileSync(path).equals(bytes))).to.equal(true);
    expect(readdirSync(join(spool.root, '.tmp')), 'the temp file was moved, not copied').to.deep.equal([]);
  });

  it('write stores a whole object durably (a result SR) and replaces an older one', async () => {
    const spool = new LocalSpool(tempDir());
    const key = resultKey(STUDY, SOP);
    await spool.write(key, Buffer.from('first'));
    await spool.write(key, Buffer.from('second'));
    expect((await spool.read(key)).toString()).to.equal('second');
  });

  it('compares datasets, not meta headers: a re-send from another AE is the same, other bytes are not', async () => {
    const spool = new LocalSpool(tempDir());
    await (await (await received(spool, part10(Buffer.from('dataset-A'), 'FIRST'))).commitAs(KEY)).durable;
    const sameFromElsewhere = await received(spool, part10(Buffer.from('dataset-A'), 'SECOND'));
    const changed = await received(spool, part10(Buffer.from('dataset-B'), 'FIRST'));
    expect(await sameFromElsewhere.sameDatasetAs(KEY)).to.equal(true);
    expect(await changed.sameDatasetAs(KEY)).to.equal(false);
    expect(await changed.sameDatasetAs(instanceKey(STUDY, `${SOP}.9` as Uid)), 'nothing stored there').to.equal(false);
    await Promise.all([sameFromElsewhere.discard(), changed.discard()]);
    expect(readdirSync(join(spool.root, '.tmp'))).to.deep.equal([]);
  });

  it('remove deletes the objects and the folders they leave empty; a later commit recreates the folder', async () => {
    const spool = new LocalSpool(tempDir());
    const other = instanceKey(STUDY, `${SOP}.2` as Uid);
    const sr = resultKey(STUDY, SOP);
    for (const key of [KEY, other]) await (await (await received(spool, Buffer.from(key))).commitAs(key)).durable;
    await spool.write(sr, Buffer.from('SR'));

    expect(await spool.remove([KEY])).to.deep.equal({ removed: 1, failed: [] });
    expect(existsSync(join(spool.root, STUDY)), 'folder still holds another instance').to.equal(true);
    expect(await spool.remove([other, sr, KEY])).to.deep.equal({ removed: 3, failed: [] }); // KEY: already gone
    expect(existsSync(join(spool.root, STUDY))).to.equal(false);
    expect(existsSync(join(spool.root, 'results', STUDY))).to.equal(false);

    await (await (await received(spool, Buffer.from('late'))).commitAs(KEY)).durable;
    expect((await spool.read(KEY)).toString()).to.equal('late');
  });

  it('refuses keys that are not [results/]<UID>/<UID>.dcm before they name a file', async () => {
    const spool = new LocalSpool(tempDir());
    const bad = ['../x.dcm', `${STUDY}/../../x.dcm`, `/etc/${SOP}.dcm`, `${STUDY}/${SOP}`, `${STUDY}/${SOP}.dcm/..`, `${STUDY}/1..2.dcm`, `.tmp/${SOP}.dcm`, `abc/${SOP}.dcm`, `${STUDY}\\${SOP}.dcm`, `${'1.'.repeat(32)}1/${SOP}.dcm`, ''];
    for (const key of bad) {
      expect(isSpoolKey(key), key).to.equal(false);
      for (const attempt of [spool.read(key), spool.stat(key), spool.write(key, Buffer.from('x')), spool.withLocalFile(key, async () => 'used')]) {
        const err = await rejection(attempt);
        expect(err, key).to.be.instanceOf(GatewayError);
        expect((err as GatewayError).code).to.equal('GW_ERR_INTERNAL');
      }
      const file = await received(spool, Buffer.from('x'));
      expect(await rejection(file.commitAs(key)), key).to.be.instanceOf(GatewayError);
      await file.discard();
      expect((await spool.remove([key])).failed.map((f) => f.key)).to.deep.equal([key]);
    }
    expect(readdirSync(spool.root)).to.deep.equal(['.tmp']);
    expect([KEY, resultKey(STUDY, SOP)].map(isSpoolKey)).to.deep.equal([true, true]);
  });

  it('probes by writing a file, and reports free space', async () => {
    const spool = new LocalSpool(tempDir());
    await spool.probe();
    expect(readdirSync(join(spool.root, '.tmp'))).to.deep.equal([]);
    expect(await spool.freeBytes()).to.be.greaterThan(0);
  });
});
