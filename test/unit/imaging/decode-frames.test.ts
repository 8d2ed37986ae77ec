import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { decodeFrames, type DecodeResult } from '../../../src/imaging/index.js';
import { UNDECODABLE_CAUSES } from '../../../src/imaging/types.js';
import { CORPUS } from '../../helpers/fixtures.js';
import { part10, rleFrame, TS, words } from './synthetic-part10.js';

function decoded(r: DecodeResult): Extract<DecodeResult, { kind: 'decoded' }> {
  if (r.kind !== 'decoded') throw new Error(`expected decoded, got ${r.cause}: ${r.reason}`);
  return r;
}

describe('imaging/decode-frames', () => {
  it('reads 12-bit signed values under High Bit 11, ignoring junk in the upper 4 bits', async () => {
    // stored −5, 2047, −2048, 0 with bits 12–15 set to garbage (overlay bits in old files)
    const stored = [-5 & 0xfff, 2047, 0x800, 0];
    const raw = stored.map((v, i) => v | ((0xa + i) << 12));
    const r = decoded(await decodeFrames(part10({ rows: 2, columns: 2, bitsStored: 12, highBit: 11, pixelRepresentation: 1 }, words(raw, 2))));
    expect(r.frames[0]).to.be.instanceOf(Int16Array);
    expect(Array.from(r.frames[0] ?? [])).to.deep.equal([-5, 2047, -2048, 0]);
    expect(r.meta).to.include({ bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 1 });
  });

  it('honours a High Bit that is not Bits Stored − 1 (stored bits 4..13)', async () => {
    const r = decoded(await decodeFrames(part10({ rows: 1, columns: 3, bitsStored: 10, highBit: 13 }, words([0x3ff0, 0x0010 | 0xc00f, 0x2000], 2))));
    expect(Array.from(r.frames[0] ?? [])).to.deep.equal([0x3ff, 1, 0x200]);
  });

  it('reads the same pixels from implicit LE, explicit LE, explicit BE and deflate', async () => {
    const values = [0, 1, 300, 65535, 4096, 12];
    for (const ts of [TS.implicit, TS.explicit, TS.bigEndian, TS.deflate]) {
      const r = decoded(await decodeFrames(part10({ rows: 2, columns: 3 }, words(values, 2, ts === TS.bigEndian), ts)));
      expect(Array.from(r.frames[0] ?? []), ts).to.deep.equal(values);
      expect(r.meta.transferSyntaxUid).to.equal(ts);
    }
  });

  it('unpacks 1-bit frames that do not start on a byte boundary', async () => {
    // 3 frames of 5 pixels = 15 bits, least significant bit first
    const bits = [1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1];
    const bytes = Buffer.alloc(2);
    bits.forEach((b, i) => (bytes[i >> 3] = (bytes[i >> 3] as number) | (b << (i & 7))));
    const r = decoded(await decodeFrames(part10({ rows: 1, columns: 5, bitsAllocated: 1, frames: 3 }, bytes)));
    expect(r.frames.map((f) => Array.from(f))).to.deep.equal([bits.slice(0, 5), bits.slice(5, 10), bits.slice(10, 15)]);
  });

  it('returns RGB by pixel for planar RGB, YBR_FULL and YBR_FULL_422', async () => {
    const planar = decoded(await decodeFrames(part10({ rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'RGB', planar: 1 }, words([1, 2, 3, 4, 5, 6], 1))));
    expect(Array.from(planar.frames[0] ?? [])).to.deep.equal([1, 3, 5, 2, 4, 6]);
    expect(planar.meta.planarConfiguration).to.equal(1);
    // pure red in YBR_FULL (PS3.3 C.7.6.3.1.2): Y 76, Cb 85, Cr 255
    const ybr = decoded(await decodeFrames(part10({ rows: 1, columns: 1, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'YBR_FULL' }, words([76, 85, 255], 1))));
    expect(Array.from(ybr.frames[0] ?? [])).to.deep.equal([254, 0, 0]);
    expect(ybr.meta).to.include({ photometricInterpretation: 'RGB', sourcePhotometricInterpretation: 'YBR_FULL' });
    // two grey pixels sharing neutral chroma: Y1 Y2 Cb Cr
    const y422 = decoded(await decodeFrames(part10({ rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'YBR_FULL_422' }, words([10, 200, 128, 128], 1))));
    expect(Array.from(y422.frames[0] ?? [])).to.deep.equal([10, 10, 10, 200, 200, 200]);
  });

  it('maps PALETTE COLOR through its LUTs, clamping indices outside the table', async () => {
    const lut = (scale: number): Buffer => words([0, 1, 2, 3].map((i) => i * scale), 2);
    const desc = Buffer.from(words([4, 10, 16], 2));
    const extra: Array<[number, number, string, Buffer]> = [
      [0x0028, 0x1101, 'US', desc],
      [0x0028, 0x1102, 'US', desc],
      [0x0028, 0x1103, 'US', desc],
      [0x0028, 0x1201, 'OW', lut(1000)],
      [0x0028, 0x1202, 'OW', lut(2000)],
      [0x0028, 0x1203, 'OW', lut(3000)],
    ];
    const r = decoded(await decodeFrames(part10({ rows: 1, columns: 3, bitsAllocated: 8, photometric: 'PALETTE COLOR', extra }, words([9, 11, 200], 1))));
    expect(Array.from(r.frames[0] ?? [])).to.deep.equal([0, 0, 0, 1000, 2000, 3000, 3000, 6000, 9000]);
    expect(r.meta).to.include({ photometricInterpretation: 'RGB', samplesPerPixel: 3, bitsAllocated: 16 });
  });

  it('decodes RLE frames, 16-bit and RGB, across two frames', async () => {
    const mono = [0, 1, 258, 65535, 65535, 65535];
    const r = decoded(await decodeFrames(part10({ rows: 2, columns: 3 }, { fragments: [rleFrame([mono], 2)] }, TS.rle)));
    expect(Array.from(r.frames[0] ?? [])).to.deep.equal(mono);
    const red = [255, 0];
    const green = [0, 255];
    const blue = [7, 7];
    const frames = { fragments: [rleFrame([red, green, blue], 1), rleFrame([blue, red, green], 1)] };
    const rgb = decoded(await decodeFrames(part10({ rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'RGB', frames: 2 }, frames, TS.rle)));
    expect(rgb.frames.map((f) => Array.from(f))).to.deep.equal([
      [255, 0, 7, 0, 255, 7],
      [7, 255, 0, 7, 0, 255],
    ]);
  });

  it('flags a Modality LUT Sequence, which the pipeline does not apply', async () => {
    const plain = decoded(await decodeFrames(part10({ rows: 1, columns: 1 }, words([1], 2))));
    const withLut = decoded(await decodeFrames(part10({ rows: 1, columns: 1, extra: [[0x0028, 0x3000, 'SQ', Buffer.alloc(0)]] }, words([1], 2))));
    expect([plain.meta.hasModalityLutSequence, withLut.meta.hasModalityLutSequence]).to.deep.equal([false, true]);
  });

  it('decodes only the requested frames', async () => {
    const r = decoded(await decodeFrames(part10({ rows: 1, columns: 2, bitsAllocated: 8, frames: 3 }, words([1, 2, 3, 4, 5, 6], 1)), { frames: [2, 0] }));
    expect(r.frames.map((f) => Array.from(f))).to.deep.equal([
      [5, 6],
      [1, 2],
    ]);
  });

  it('reports what it cannot decode, with a cause', async () => {
    const cases: Array<[Buffer, string]> = [
      [Buffer.from('not a dicom file at all'), 'not-dicom'],
      [part10({ rows: 2, columns: 2 }, undefined), 'no-pixel-data'],
      [part10({ rows: 2, columns: 2 }, words([1, 2], 2)), 'malformed'], // 4 pixels, 2 values
      [part10({ rows: 1, columns: 2 }, { fragments: [Buffer.alloc(8)] }, TS.mpeg2), 'unsupported-transfer-syntax'],
      [part10({ rows: 1, columns: 2, bitsAllocated: 12 }, words([1, 2], 2)), 'unsupported-pixel-format'],
      [part10({ rows: 1, columns: 2, samplesPerPixel: 2 }, words([1, 2, 3, 4], 2)), 'unsupported-pixel-format'],
      [part10({ rows: 1, columns: 2, bitsStored: 17 }, words([1, 2], 2)), 'malformed'],
      [part10({ rows: 1, columns: 2, samplesPerPixel: 3, photometric: 'MONOCHROME2' }, words([1, 2, 3, 4, 5, 6], 2)), 'malformed'],
      [part10({ rows: 2, columns: 2, frames: 2 }, { fragments: [Buffer.alloc(70), Buffer.alloc(70), Buffer.alloc(70)] }, TS.rle), 'malformed'],
      [part10({ rows: 2, columns: 2 }, { fragments: [Buffer.alloc(70)] }, TS.rle), 'codec-failed'],
      [part10({ rows: 8, columns: 8 }, { fragments: [Buffer.alloc(100, 7)] }, TS.jpegLs), 'codec-failed'],
    ];
    for (const [file, cause] of cases) {
      const r = await decodeFrames(file);
      expect(r.kind, cause).to.equal('undecodable');
      if (r.kind === 'undecodable') {
        expect(r.cause, r.reason).to.equal(cause);
        expect(r.reason).to.be.a('string').and.not.equal('');
      }
    }
  });

  it('reads a dataset without File Meta Information when told its transfer syntax', async () => {
    const file = readFileSync(join(CORPUS, 'dicom/pydicom__no_meta.dcm'));
    expect((await decodeFrames(file)).kind).to.equal('undecodable');
    const bare = decoded(await decodeFrames(file, { transferSyntaxUid: TS.explicit }));
    const withMeta = decoded(await decodeFrames(readFileSync(join(CORPUS, 'dicom/pydicom__CT_small.dcm'))));
    expect(Array.from(bare.frames[0] ?? [])).to.deep.equal(Array.from(withMeta.frames[0] ?? []));
  });

  it('never throws on truncated or corrupted files of every codec, and decodes again afterwards', async function () {
    this.timeout(30_000);
    const names = ['pydicom__MR_small_RLE.dcm', 'pydicom__MR_small_jpeg_ls_lossless.dcm', 'pydicom__MR_small_jp2klossless.dcm', 'pydicom__JPGExtended.dcm', 'pydicom__image_dfl.dcm'];
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const name of names) {
      const good = readFileSync(join(CORPUS, 'dicom', name));
      for (let k = 0; k < 12; k++) {
        const bad = Buffer.from(good.subarray(0, Math.floor(good.length * (0.3 + 0.7 * random()))));
        if (k % 2 === 1) for (let j = 0; j < 20; j++) bad[Math.floor(bad.length * (0.5 + 0.5 * random()))] = Math.floor(256 * random());
        const r = await decodeFrames(bad);
        if (r.kind === 'undecodable') expect(UNDECODABLE_CAUSES).to.include(r.cause);
      }
      expect((await decodeFrames(good)).kind, name).to.equal('decoded');
    }
  });
});
