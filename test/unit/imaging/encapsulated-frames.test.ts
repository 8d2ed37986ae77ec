import { expect } from 'chai';
import { splitFrames } from '../../../src/imaging/encapsulated-frames.js';
import { decodeRleFrame } from '../../../src/imaging/rle.js';

const frag = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);
/** Item offsets as PS3.5 A.4 counts them: 8-byte item header plus value, from the first fragment's tag. */
const offsetsOf = (fragments: Uint8Array[]): number[] => fragments.reduce<number[]>((acc, f, i) => [...acc, i === 0 ? 0 : (acc[i - 1] as number) + 8 + (fragments[i - 1] as Uint8Array).length], []);

describe('imaging/encapsulated-frames', () => {
  it('groups fragments by the Basic Offset Table', () => {
    const fragments = [frag(1, 2), frag(3, 4), frag(5, 6, 7, 8)];
    const fragmentOffsets = offsetsOf(fragments);
    const r = splitFrames({ fragments, basicOffsetTable: [0, fragmentOffsets[2] as number], fragmentOffsets, extendedOffsets: undefined }, 2);
    expect(r.kind === 'ok' && r.frames.map((f) => Array.from(f))).to.deep.equal([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });

  it('without a table: one frame takes every fragment, N frames in N fragments take one each', () => {
    const fragments = [frag(1), frag(2), frag(3)];
    const base = { fragments, basicOffsetTable: [], fragmentOffsets: offsetsOf(fragments), extendedOffsets: undefined };
    expect(splitFrames(base, 1)).to.deep.equal({ kind: 'ok', frames: [frag(1, 2, 3)] });
    expect(splitFrames(base, 3)).to.deep.equal({ kind: 'ok', frames: fragments });
  });

  it('without a table finds frame starts by the JPEG SOI / J2K SOC marker, and fails when it cannot', () => {
    const fragments = [frag(0xff, 0xd8, 1), frag(2, 3), frag(0xff, 0x4f, 4), frag(5)];
    const base = { fragments, basicOffsetTable: [], fragmentOffsets: offsetsOf(fragments), extendedOffsets: undefined };
    const r = splitFrames(base, 2);
    expect(r.kind === 'ok' && r.frames.map((f) => Array.from(f))).to.deep.equal([
      [0xff, 0xd8, 1, 2, 3],
      [0xff, 0x4f, 4, 5],
    ]);
    expect(splitFrames(base, 3).kind).to.equal('failed');
    expect(splitFrames({ ...base, basicOffsetTable: [0, 999] }, 2).kind).to.equal('failed');
    expect(splitFrames({ ...base, fragments: [] }, 1).kind).to.equal('failed');
  });
});

describe('imaging/rle', () => {
  it('rejects headers and segments that do not fit the frame', () => {
    const header = (segments: number, ...offsets: number[]): Uint8Array => {
      const b = Buffer.alloc(64);
      b.writeUInt32LE(segments, 0);
      offsets.forEach((o, i) => b.writeUInt32LE(o, 4 + 4 * i));
      return b;
    };
    expect(decodeRleFrame(new Uint8Array(10), 4, 1, 2).kind).to.equal('failed'); // shorter than the header
    expect(decodeRleFrame(header(1, 64), 4, 1, 2).kind).to.equal('failed'); // 16-bit needs 2 segments
    expect(decodeRleFrame(header(2, 64, 9999), 4, 1, 2).kind).to.equal('failed'); // offset past the end
    // a literal run of 2 where 4 bytes are needed
    expect(decodeRleFrame(Buffer.concat([header(1, 64), Buffer.from([1, 7, 8, 0x80])]), 4, 1, 1).kind).to.equal('failed');
    // replicate run −3 → four bytes of 9
    expect(decodeRleFrame(Buffer.concat([header(1, 64), Buffer.from([0xfd, 9])]), 4, 1, 1)).to.deep.equal({ kind: 'ok', bytes: Uint8Array.from([9, 9, 9, 9]) });
  });
});

describe('imaging/codestream-precision', () => {
  it('reads the precision of JPEG (SOF3), JPEG-LS (SOF55) and JPEG 2000 (SIZ) frames', async () => {
    const { codestreamPrecision } = await import('../../../src/imaging/codestream-precision.js');
    // SOI, DHT (length 4, skipped), SOF3 with P = 16
    expect(codestreamPrecision(frag(0xff, 0xd8, 0xff, 0xc4, 0, 4, 0, 0, 0xff, 0xc3, 0, 11, 16, 0, 2))).to.equal(16);
    expect(codestreamPrecision(frag(0xff, 0xd8, 0xff, 0xf7, 0, 11, 12, 0, 2))).to.equal(12);
    const j2k = new Uint8Array(48);
    j2k.set([0xff, 0x4f, 0xff, 0x51]);
    j2k[42] = 0x80 | 15; // signed, 16 bits
    expect(codestreamPrecision(j2k)).to.equal(16);
    expect(codestreamPrecision(frag(0xff, 0xd8, 0xff, 0xda, 0, 2))).to.equal(undefined);
    expect(codestreamPrecision(frag(1, 2, 3, 4))).to.equal(undefined);
  });
});
