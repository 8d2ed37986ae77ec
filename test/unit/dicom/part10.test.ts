import { expect } from 'chai';
import { open } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_FILE_META_BYTES, buildFileMetaHeader, readFileHead, readFileMeta, type FileMetaResult } from '../../../src/dicom/part10.js';
import { TransferSyntax } from '../../../src/dicom/uids.js';
import { CORPUS } from '../../helpers/fixtures.js';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const ELE = TransferSyntax.ExplicitVRLittleEndian;
const J2K = '1.2.840.10008.1.2.4.90';
/** (0008,0060) CS "CT" in explicit VR LE: a tiny real dataset. */
const DATASET = Buffer.from([0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 0x02, 0x00, 0x43, 0x54]);

function part10(dataset: Buffer, fields: Partial<{ sopInstanceUid: string; transferSyntaxUid: string }> = {}): Buffer {
  return Buffer.concat([buildFileMetaHeader({ sopClassUid: CT, sopInstanceUid: '1.2.3.4', transferSyntaxUid: ELE, ...fields }), dataset]);
}
const detail = (r: FileMetaResult): string => (r.kind === 'invalid' ? r.detail : 'ok');

async function readCorpusMeta(name: string): Promise<{ result: FileMetaResult; bytes: Buffer }> {
  const path = join(CORPUS, 'dicom', name);
  const handle = await open(path, 'r');
  try {
    const { head, size } = await readFileHead(handle);
    return { result: readFileMeta(head, size), bytes: readFileSync(path) };
  } finally {
    await handle.close();
  }
}

describe('dicom/part10: File Meta Information (PS3.10 §7.1)', () => {
  it('reads back what buildFileMetaHeader writes: the three UIDs and where the dataset starts', () => {
    const file = part10(DATASET, { transferSyntaxUid: J2K });
    const r = readFileMeta(file, file.length);
    expect(r).to.deep.equal({
      kind: 'ok',
      meta: { mediaStorageSopClassUid: CT, mediaStorageSopInstanceUid: '1.2.3.4', transferSyntaxUid: J2K, datasetOffset: file.length - DATASET.length },
    });
  });

  it('trusts the group length over bytes that look like group 0002 (a deflated stream may start so)', () => {
    const deflatedLooking = Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49, 0x02, 0x00, 0x31, 0x00]);
    const file = part10(deflatedLooking, { transferSyntaxUid: TransferSyntax.DeflatedExplicitVRLittleEndian });
    const r = readFileMeta(file, file.length);
    expect(r.kind === 'ok' && file.length - r.meta.datasetOffset).to.equal(deflatedLooking.length);
  });

  it('reads a meta group without a group length element up to the first non-0002 element', () => {
    const file = part10(DATASET);
    const withoutGroupLength = Buffer.concat([file.subarray(0, 132), file.subarray(144)]);
    const r = readFileMeta(withoutGroupLength, withoutGroupLength.length);
    expect(r.kind === 'ok' && withoutGroupLength.subarray(r.meta.datasetOffset).equals(DATASET)).to.equal(true);
  });

  it('accepts a meta header with no dataset after it', () => {
    const file = part10(Buffer.alloc(0));
    const r = readFileMeta(file, file.length);
    expect(r.kind === 'ok' && r.meta.datasetOffset).to.equal(file.length);
  });

  it('refuses a file without DICM, with a wrong group length, truncated, or without a transfer syntax', () => {
    const good = part10(DATASET);
    expect(detail(readFileMeta(DATASET, DATASET.length))).to.equal('no "DICM" prefix at byte 128: not a Part-10 file (PS3.10 §7.1)');
    const wrongLength = Buffer.from(good);
    wrongLength.writeUInt32LE(wrongLength.readUInt32LE(140) + 2, 140);
    expect(detail(readFileMeta(wrongLength, wrongLength.length))).to.match(/group length/);
    expect(detail(readFileMeta(good.subarray(0, 170), 170))).to.match(/ends inside the meta header|runs past the end/);
    // rename (0002,0010) to (0002,0011): the TS is gone
    const noTs = Buffer.from(good);
    const tsAt = noTs.indexOf(Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49]));
    noTs.writeUInt16LE(0x0011, tsAt + 2);
    expect(detail(readFileMeta(noTs, noTs.length))).to.match(/lacks \(0002,0010\) Transfer Syntax UID/);
  });

  it('refuses a meta element without an explicit VR, and a UID that would not pass the network UID check', () => {
    const implicit = part10(DATASET);
    implicit.write('\0\0', 144 + 4, 'latin1'); // (0002,0001)'s VR
    expect(detail(readFileMeta(implicit, implicit.length))).to.match(/has no explicit VR/);
    const badUid = part10(DATASET, { sopInstanceUid: '1.2.03' });
    expect(detail(readFileMeta(badUid, badUid.length))).to.match(/SOP Instance UID is not a valid UID/);
  });

  it('refuses a meta header longer than the limit it reads', () => {
    const file = part10(DATASET);
    const huge = Buffer.concat([file.subarray(0, 144), Buffer.from([0x02, 0x00, 0x99, 0x00, 0x4f, 0x42, 0, 0]), Buffer.alloc(4), Buffer.alloc(MAX_FILE_META_BYTES)]);
    huge.writeUInt32LE(MAX_FILE_META_BYTES + 4, 152);
    huge.writeUInt32LE(huge.readUInt32LE(140) + 12 + MAX_FILE_META_BYTES, 140);
    expect(detail(readFileMeta(huge.subarray(0, MAX_FILE_META_BYTES), huge.length))).to.match(/longer than/);
  });

  describe('on the shared corpus', () => {
    it('refuses a dataset saved without meta information (pydicom no_meta)', async () => {
      const { result } = await readCorpusMeta('pydicom__no_meta.dcm');
      expect(detail(result)).to.match(/no "DICM" prefix/);
    });

    it('reads a big-endian file: the meta group stays little endian, the dataset starts where (0002,0000) says', async () => {
      const { result, bytes } = await readCorpusMeta('pydicom__MR_small_bigendian.dcm');
      expect(result.kind === 'ok' && result.meta.transferSyntaxUid).to.equal(TransferSyntax.ExplicitVRBigEndian);
      expect(result.kind === 'ok' && result.meta.datasetOffset).to.equal(144 + bytes.readUInt32LE(140));
    });

    it('reads a deflated file, stopping at the group length before the compressed dataset', async () => {
      const { result, bytes } = await readCorpusMeta('pydicom__image_dfl.dcm');
      expect(result.kind === 'ok' && result.meta.transferSyntaxUid).to.equal(TransferSyntax.DeflatedExplicitVRLittleEndian);
      expect(result.kind === 'ok' && result.meta.datasetOffset).to.equal(144 + bytes.readUInt32LE(140));
    });
  });
});
