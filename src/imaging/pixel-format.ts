/** Checks the declared Image Pixel attributes (PS3.3 C.7.6.3) and settles the one pixel format the decoder works to. */
import type { PixelAttributes } from './image-dataset.js';
import type { UndecodableCause } from './types.js';

/** The checked pixel description of the dataset as encoded. */
export interface PixelFormat {
  rows: number;
  columns: number;
  samplesPerPixel: 1 | 3;
  /** 1, 8, 16 or 32 for integer Pixel Data; 32 or 64 for Float / Double Float Pixel Data. */
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  photometricInterpretation: string;
  planarConfiguration: 0 | 1;
  numberOfFrames: number;
}

export type FormatResult = { kind: 'ok'; format: PixelFormat } | { kind: 'failed'; cause: UndecodableCause; reason: string };

const MONOCHROME = new Set(['MONOCHROME1', 'MONOCHROME2', 'PALETTE COLOR']);
/** PS3.3 C.7.6.3.1.2; YBR_PARTIAL_* and YBR_ICT/RCT occur only compressed, and the codecs hand back RGB for them. */
const COLOR = new Set(['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_PARTIAL_422', 'YBR_PARTIAL_420', 'YBR_ICT', 'YBR_RCT']);

/**
 * Validates what decoding relies on. Missing optional-looking attributes take the values the standard implies
 * (Bits Stored = Bits Allocated, High Bit = Bits Stored − 1, unsigned, MONOCHROME2/RGB); contradictions fail.
 */
export function checkPixelFormat(a: PixelAttributes, float: 0 | 32 | 64, maxSamples: number): FormatResult {
  const bad = (reason: string): FormatResult => ({ kind: 'failed', cause: 'malformed', reason });
  const unsupported = (reason: string): FormatResult => ({ kind: 'failed', cause: 'unsupported-pixel-format', reason });
  const { rows, columns } = a;
  if (rows === undefined || columns === undefined || rows === 0 || columns === 0) return bad(`Rows ${rows ?? 'absent'} × Columns ${columns ?? 'absent'}`);
  const spp = a.samplesPerPixel ?? 1;
  if (spp !== 1 && spp !== 3) return unsupported(`Samples per Pixel ${spp} (only 1 and 3 are image data)`);
  const ba = float !== 0 ? float : a.bitsAllocated;
  if (ba === undefined) return bad('Bits Allocated is absent');
  if (float === 0 && ![1, 8, 16, 32].includes(ba)) return unsupported(`Bits Allocated ${ba}`);
  const bs = float !== 0 ? ba : (a.bitsStored ?? ba);
  const hb = float !== 0 ? ba - 1 : (a.highBit ?? bs - 1);
  if (bs < 1 || bs > ba || hb < bs - 1 || hb >= ba) return bad(`Bits Stored ${bs} / High Bit ${hb} do not fit Bits Allocated ${ba}`);
  const pi = a.photometricInterpretation || (spp === 1 ? 'MONOCHROME2' : 'RGB');
  if (spp === 1 && !MONOCHROME.has(pi)) return COLOR.has(pi) ? bad(`${pi} with one sample per pixel`) : unsupported(`Photometric Interpretation ${pi}`);
  if (spp === 3 && !COLOR.has(pi)) return MONOCHROME.has(pi) ? bad(`${pi} with three samples per pixel`) : unsupported(`Photometric Interpretation ${pi}`);
  if (pi === 'PALETTE COLOR' && (a.palette === undefined || (ba !== 8 && ba !== 16))) return unsupported('PALETTE COLOR without a usable 8- or 16-bit LUT (segmented palettes are not read)');
  if (ba === 1 && spp !== 1) return unsupported('Bits Allocated 1 with colour');
  if (pi === 'YBR_FULL_422' && columns % 2 !== 0) return bad('YBR_FULL_422 with an odd number of columns');
  const samples = rows * columns * spp * a.numberOfFrames;
  if (samples > maxSamples) return unsupported(`${samples} samples exceed the limit of ${maxSamples}`);
  return {
    kind: 'ok',
    format: {
      rows,
      columns,
      samplesPerPixel: spp,
      bitsAllocated: ba,
      bitsStored: bs,
      highBit: hb,
      signed: float !== 0 || a.pixelRepresentation === 1,
      photometricInterpretation: pi,
      planarConfiguration: spp === 3 && a.planarConfiguration === 1 ? 1 : 0,
      numberOfFrames: a.numberOfFrames,
    },
  };
}
