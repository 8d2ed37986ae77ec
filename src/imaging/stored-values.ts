/** Turns raw sample words into stored values: byte order, Bits Stored/High Bit masking and sign extension (PS3.5 8.1.1). */
import type { StoredPixelArray } from './types.js';

export interface SampleLayout {
  /** 8, 16 or 32. */
  bitsAllocated: number;
  bitsStored: number;
  /** Bit of the word that holds the most significant stored bit; compressed codecs return `bitsStored - 1`. */
  highBit: number;
  signed: boolean;
}

/**
 * Copies `count` samples out of `bytes` (little-endian words unless `bigEndian`) into a new typed array of
 * stored values: the `bitsStored` bits ending at `highBit` are shifted down to bit 0, and sign-extended when
 * `signed` (PS3.5 8.1.1 and PS3.3 C.7.6.3.1.1: bits outside the stored range may hold overlays or garbage).
 * The result never aliases `bytes`.
 */
export function toStoredValues(bytes: Uint8Array, count: number, layout: SampleLayout, bigEndian = false): StoredPixelArray {
  const { bitsAllocated: ba, bitsStored: bs, highBit: hb, signed } = layout;
  const width = ba / 8;
  const copy = new Uint8Array(count * width);
  copy.set(bytes.subarray(0, count * width));
  if (bigEndian && ba === 16) Buffer.from(copy.buffer).swap16();
  if (bigEndian && ba === 32) Buffer.from(copy.buffer).swap32();
  const plain = bs === ba && hb === ba - 1;
  if (ba === 8) {
    const out = signed ? new Int8Array(copy.buffer) : copy;
    if (!plain) extractBits(copy, out, bs, hb, signed);
    return out;
  }
  if (ba === 16) {
    const out = signed ? new Int16Array(copy.buffer) : new Uint16Array(copy.buffer);
    if (!plain) extractBits(new Uint16Array(copy.buffer), out, bs, hb, signed);
    return out;
  }
  const out = signed ? new Int32Array(copy.buffer) : new Uint32Array(copy.buffer);
  if (!plain) extractBits(new Uint32Array(copy.buffer), out, bs, hb, signed);
  return out;
}

/**
 * In place (`words` and `out` share one buffer, read before write at each index): moves bit `hb` to bit 31,
 * then shifts right by 32 − bs, arithmetic for signed values (sign extension), logical for unsigned (masking).
 */
function extractBits(words: Uint8Array | Uint16Array | Uint32Array, out: StoredPixelArray, bs: number, hb: number, signed: boolean): void {
  const left = 31 - hb;
  const right = 32 - bs;
  const n = words.length;
  if (signed) for (let i = 0; i < n; i++) out[i] = ((words[i] as number) << left) >> right;
  else for (let i = 0; i < n; i++) out[i] = ((words[i] as number) << left) >>> right;
}

/** Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009), copied and put in host order. */
export function toFloatValues(bytes: Uint8Array, count: number, bits: 32 | 64, bigEndian: boolean): Float32Array | Float64Array {
  const copy = new Uint8Array(count * (bits / 8));
  copy.set(bytes.subarray(0, copy.length));
  if (bigEndian && bits === 32) Buffer.from(copy.buffer).swap32();
  if (bigEndian && bits === 64) Buffer.from(copy.buffer).swap64();
  return bits === 32 ? new Float32Array(copy.buffer) : new Float64Array(copy.buffer);
}

/**
 * Bits Allocated 1 (segmentations, overlays in pixel data): `count` pixels from bit `bitOffset` on, least
 * significant bit first (PS3.5 8.1.1, D.2). Frames of a multi-frame 1-bit image need not start on a byte.
 */
export function unpackBits(bytes: Uint8Array, bitOffset: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = bitOffset + i;
    out[i] = ((bytes[bit >>> 3] as number) >>> (bit & 7)) & 1;
  }
  return out;
}
