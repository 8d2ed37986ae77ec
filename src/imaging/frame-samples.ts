/** Reads one frame's samples as encoded (native, RLE or WASM codec) into stored values, before any colour conversion. */
import { decodeFrameWithCodec } from './codecs.js';
import { codestreamPrecision } from './codestream-precision.js';
import type { PixelFormat } from './pixel-format.js';
import { decodeRleFrame } from './rle.js';
import { toFloatValues, toStoredValues, unpackBits } from './stored-values.js';
import type { StoredPixelArray } from './types.js';

/** A frame's samples and the colour model they are in (a codec may already have converted YBR to RGB). */
export type FrameSamples =
  | { kind: 'ok'; values: StoredPixelArray; photometricInterpretation: string; planar: boolean }
  | { kind: 'failed'; cause: 'malformed' | 'codec-failed' | 'unsupported-pixel-format'; reason: string };

/** Samples a native frame holds: native YBR_FULL_422 packs two pixels into four samples (PS3.3 C.7.6.3.1.2). */
export function encodedSamplesPerFrame(f: PixelFormat): number {
  const pixels = f.rows * f.columns;
  return f.photometricInterpretation === 'YBR_FULL_422' ? pixels * 2 : pixels * f.samplesPerPixel;
}

/** Bytes all frames of native Pixel Data need; 1-bit frames are packed back to back without padding. */
export function nativeBytesNeeded(f: PixelFormat): number {
  return Math.ceil((encodedSamplesPerFrame(f) * f.numberOfFrames * f.bitsAllocated) / 8);
}

/** Frame `index` of native Pixel Data (whose length the caller checked against `nativeBytesNeeded`). */
export function nativeFrame(bytes: Uint8Array, bigEndian: boolean, float: 0 | 32 | 64, f: PixelFormat, index: number): FrameSamples {
  const count = encodedSamplesPerFrame(f);
  const planar = f.planarConfiguration === 1;
  const pi = f.photometricInterpretation;
  if (f.bitsAllocated === 1) return { kind: 'ok', values: unpackBits(bytes, index * count, count), photometricInterpretation: pi, planar };
  const frameBytes = (count * f.bitsAllocated) / 8;
  const at = bytes.subarray(index * frameBytes);
  if (float !== 0) return { kind: 'ok', values: toFloatValues(at, count, float, bigEndian), photometricInterpretation: pi, planar };
  const values = toStoredValues(at, count, { bitsAllocated: f.bitsAllocated, bitsStored: f.bitsStored, highBit: f.highBit, signed: f.signed }, bigEndian);
  return { kind: 'ok', values, photometricInterpretation: pi, planar };
}

/** One RLE frame (PS3.5 Annex G): decoded bytes have the native layout, colour-by-pixel, High Bit as declared. */
export function rleFrame(frame: Uint8Array, f: PixelFormat): FrameSamples {
  if (f.bitsAllocated === 1 || f.photometricInterpretation === 'YBR_FULL_422') {
    return { kind: 'failed', cause: 'unsupported-pixel-format', reason: `RLE with ${f.bitsAllocated === 1 ? 'Bits Allocated 1' : 'YBR_FULL_422'}` };
  }
  const pixels = f.rows * f.columns;
  const width = f.bitsAllocated / 8;
  const rle = decodeRleFrame(frame, pixels, f.samplesPerPixel, width);
  if (rle.kind === 'failed') return { kind: 'failed', cause: 'codec-failed', reason: rle.reason };
  const values = toStoredValues(rle.bytes, pixels * f.samplesPerPixel, { bitsAllocated: f.bitsAllocated, bitsStored: f.bitsStored, highBit: f.highBit, signed: f.signed });
  return { kind: 'ok', values, photometricInterpretation: f.photometricInterpretation, planar: false };
}

/**
 * One frame through a WASM codec. Codecs return 8-bit words for 8-bit streams even when Bits Allocated is 16, so
 * the word width is read from the output size. The samples hold the stored value at bit 0, unless the stream's
 * precision reaches a High Bit above Bits Stored − 1: then the encoder (DCMTK does this) compressed whole words
 * and the declared High Bit still applies.
 */
export function codecFrame(transferSyntaxUid: string, frame: Uint8Array, f: PixelFormat): FrameSamples {
  if (f.bitsAllocated !== 8 && f.bitsAllocated !== 16) {
    return { kind: 'failed', cause: 'unsupported-pixel-format', reason: `compressed Pixel Data with Bits Allocated ${f.bitsAllocated}` };
  }
  const result = decodeFrameWithCodec(transferSyntaxUid, frame, {
    rows: f.rows,
    columns: f.columns,
    samplesPerPixel: f.samplesPerPixel,
    bitsAllocated: f.bitsAllocated,
    bitsStored: f.bitsStored,
    pixelRepresentation: f.signed ? 1 : 0,
    planarConfiguration: f.planarConfiguration,
    photometricInterpretation: f.photometricInterpretation,
  });
  if (result.kind === 'failed') return { kind: 'failed', cause: 'codec-failed', reason: result.reason };
  const count = f.rows * f.columns * f.samplesPerPixel;
  const width = result.bytes.length >= count * 2 ? 2 : 1;
  if (result.bytes.length < count * width) {
    return { kind: 'failed', cause: 'codec-failed', reason: `codec returned ${result.bytes.length} bytes for ${count} samples` };
  }
  const bitsStored = Math.min(f.bitsStored, width * 8);
  const precision = codestreamPrecision(frame) ?? bitsStored;
  const wholeWords = f.highBit > bitsStored - 1 && precision > bitsStored && precision > f.highBit && f.highBit < width * 8;
  const highBit = wholeWords ? f.highBit : bitsStored - 1;
  const values = toStoredValues(result.bytes, count, { bitsAllocated: width * 8, bitsStored, highBit, signed: f.signed });
  return { kind: 'ok', values, photometricInterpretation: result.decoded.photometricInterpretation, planar: f.samplesPerPixel === 3 && result.decoded.planarConfiguration === 1 };
}
