/** Decodes the frames of a Part-10 file, in any transfer syntax the SCP accepts, to stored values; never throws. */
import { TransferSyntax } from '../dicom/index.js';
import { loadCodecs, hasCodecFor } from './codecs.js';
import { applyPalette, expandYbr422, planarToInterleaved, ybrFullToRgbInPlace } from './color.js';
import { splitFrames } from './encapsulated-frames.js';
import { codecFrame, nativeBytesNeeded, nativeFrame, rleFrame, type FrameSamples } from './frame-samples.js';
import { readImageDataset, type PixelAttributes, type ReadImageOptions } from './image-dataset.js';
import { checkPixelFormat, type PixelFormat } from './pixel-format.js';
import type { DecodeResult, ImageMeta, StoredPixelArray, UndecodableCause } from './types.js';

export interface DecodeOptions extends ReadImageOptions {
  /** 0-based indices of the frames to decode; default all. */
  frames?: readonly number[];
  /** Refuse images with more samples than this, all frames together. Default 2^28 (512 MiB of 16-bit values). */
  maxSamples?: number;
}

/** Native encodings; deflate arrives here already inflated (image-dataset.ts), so it is Explicit VR LE from now on. */
const NATIVE = new Set<string>([
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
]);
const LOSSY = new Set<string>([TransferSyntax.JpegBaseline, TransferSyntax.JpegExtended, TransferSyntax.JpegLsNearLossless, TransferSyntax.Jpeg2000]);

/**
 * Decodes `part10` (a Part-10 file; or a bare dataset when `options.transferSyntaxUid` names its encoding) into
 * frames of stored values and their description. Every failure, including a codec crash, comes back as
 * `undecodable` with a cause and a reason. Compressed frames are decoded synchronously on this thread: J2K
 * 512×512 takes ~30 ms, so a caller that must stay responsive runs this in a worker.
 */
export async function decodeFrames(part10: Uint8Array, options: DecodeOptions = {}): Promise<DecodeResult> {
  let transferSyntaxUid: string | undefined = options.transferSyntaxUid;
  try {
    const read = readImageDataset(part10, options);
    if (read.kind === 'failed') return { kind: 'undecodable', cause: read.cause, reason: read.reason, transferSyntaxUid: read.transferSyntaxUid };
    const { attributes, payload } = read;
    transferSyntaxUid = attributes.transferSyntaxUid;
    const fail = (cause: UndecodableCause, reason: string): DecodeResult => ({ kind: 'undecodable', cause, reason, transferSyntaxUid });
    const checked = checkPixelFormat(attributes, payload.kind === 'native' ? payload.float : 0, options.maxSamples ?? 2 ** 28);
    if (checked.kind === 'failed') return fail(checked.cause, checked.reason);
    const f = checked.format;
    const indices = options.frames ?? Array.from({ length: f.numberOfFrames }, (_, i) => i);
    const outside = indices.find((i) => !Number.isInteger(i) || i < 0 || i >= f.numberOfFrames);
    if (outside !== undefined) return fail('malformed', `frame ${outside} requested of ${f.numberOfFrames}`);

    let readFrame: (index: number) => FrameSamples;
    if (NATIVE.has(transferSyntaxUid)) {
      if (payload.kind !== 'native') return fail('malformed', `encapsulated Pixel Data in native transfer syntax ${transferSyntaxUid}`);
      const needed = nativeBytesNeeded(f);
      if (payload.bytes.length < needed) return fail('malformed', `Pixel Data has ${payload.bytes.length} bytes; ${f.numberOfFrames} frame(s) need ${needed}`);
      readFrame = (i) => nativeFrame(payload.bytes, payload.bigEndian, payload.float, f, i);
    } else if (transferSyntaxUid === TransferSyntax.RleLossless || hasCodecFor(transferSyntaxUid)) {
      if (payload.kind !== 'encapsulated') return fail('malformed', `native Pixel Data in compressed transfer syntax ${transferSyntaxUid}`);
      const split = splitFrames(payload, f.numberOfFrames);
      if (split.kind === 'failed') return fail('malformed', split.reason);
      if (transferSyntaxUid === TransferSyntax.RleLossless) {
        readFrame = (i) => rleFrame(split.frames[i] as Uint8Array, f);
      } else {
        try {
          await loadCodecs();
        } catch (err) {
          return fail('codec-failed', `the WASM codecs could not load: ${err instanceof Error ? err.message : String(err)}`);
        }
        const ts = transferSyntaxUid;
        readFrame = (i) => codecFrame(ts, split.frames[i] as Uint8Array, f);
      }
    } else {
      return fail('unsupported-transfer-syntax', `no decoder for transfer syntax ${transferSyntaxUid || '(none)'}`);
    }

    // From here on synchronous, so a codec reload requested by another call cannot happen between frames.
    const frames: StoredPixelArray[] = [];
    let photometric: ImageMeta['photometricInterpretation'] = 'MONOCHROME2';
    for (const i of indices) {
      const samples = readFrame(i);
      if (samples.kind === 'failed') return fail(samples.cause, `frame ${i + 1} of ${f.numberOfFrames}: ${samples.reason}`);
      const finished = toOutputColor(samples.values, samples.photometricInterpretation, samples.planar, f, attributes);
      if (typeof finished === 'string') return fail('unsupported-pixel-format', finished);
      frames.push(finished.values);
      photometric = finished.photometricInterpretation;
    }
    return { kind: 'decoded', frames, meta: describe(attributes, f, frames[0], photometric, transferSyntaxUid) };
  } catch (err) {
    // Nothing above should throw; if a library does, the file is still reported, not the process ended.
    return { kind: 'undecodable', cause: 'malformed', reason: `decoder failed: ${err instanceof Error ? err.message : String(err)}`, transferSyntaxUid };
  }
}

/** Brings a frame to MONOCHROME1/2 or interleaved RGB; a string is the reason it cannot be. */
function toOutputColor(
  values: StoredPixelArray,
  pi: string,
  planar: boolean,
  f: PixelFormat,
  a: PixelAttributes,
): { values: StoredPixelArray; photometricInterpretation: ImageMeta['photometricInterpretation'] } | string {
  const pixels = f.rows * f.columns;
  if (pi === 'MONOCHROME1' || pi === 'MONOCHROME2') return { values, photometricInterpretation: pi };
  if (pi === 'PALETTE COLOR') {
    const [r, g, b] = a.palette ?? [];
    if (r === undefined || g === undefined || b === undefined) return 'PALETTE COLOR without LUTs';
    return { values: applyPalette(values, r, g, b), photometricInterpretation: 'RGB' };
  }
  let rgb = values;
  if (pi === 'YBR_FULL_422' && rgb.length === pixels * 2) rgb = expandYbr422(rgb, f.rows, f.columns);
  else if (planar) rgb = planarToInterleaved(rgb, pixels);
  // A codec that ran the inverse colour transform (J2K MCT) says so by the stream, not always by the label.
  if (pi === 'RGB' || pi === 'YBR_ICT' || pi === 'YBR_RCT') return { values: rgb, photometricInterpretation: 'RGB' };
  if (pi === 'YBR_FULL' || pi === 'YBR_FULL_422') {
    ybrFullToRgbInPlace(rgb, Math.min(f.bitsStored, 8 * rgb.BYTES_PER_ELEMENT));
    return { values: rgb, photometricInterpretation: 'RGB' };
  }
  return `colour model ${pi} left unconverted by the codec`;
}

function describe(a: PixelAttributes, f: PixelFormat, first: StoredPixelArray | undefined, pi: ImageMeta['photometricInterpretation'], ts: string): ImageMeta {
  // Describes the frames as returned: element width, and for palette output the width of the LUT values.
  const bitsAllocated = f.bitsAllocated === 1 ? 1 : first === undefined ? f.bitsAllocated : 8 * first.BYTES_PER_ELEMENT;
  const bitsStored = f.photometricInterpretation === 'PALETTE COLOR' ? bitsAllocated : Math.min(f.bitsStored, bitsAllocated);
  const usableWindow = a.windowCenter !== undefined && a.windowWidth !== undefined && a.windowWidth > 0;
  return {
    rows: f.rows,
    columns: f.columns,
    samplesPerPixel: pi === 'RGB' ? 3 : 1,
    bitsAllocated,
    bitsStored,
    highBit: bitsStored - 1,
    pixelRepresentation: f.signed ? 1 : 0,
    photometricInterpretation: pi,
    sourcePhotometricInterpretation: f.photometricInterpretation,
    planarConfiguration: f.planarConfiguration,
    numberOfFrames: f.numberOfFrames,
    rescaleSlope: a.rescaleSlope ?? 1,
    rescaleIntercept: a.rescaleIntercept ?? 0,
    windowCenter: usableWindow ? a.windowCenter : undefined,
    windowWidth: usableWindow ? a.windowWidth : undefined,
    voiLutFunction: a.voiLutFunction,
    modality: a.modality,
    transferSyntaxUid: ts,
    lossy: LOSSY.has(ts) || a.lossyImageCompression,
    hasModalityLutSequence: a.hasModalityLutSequence,
  };
}
