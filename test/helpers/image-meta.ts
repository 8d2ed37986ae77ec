/** Image metadata of a plain CT slice (16-bit signed, HU = stored − 1024, soft-tissue window), for imaging tests. */
import type { ImageMeta } from '../../src/imaging/index.js';

export const ctMeta = (over: Partial<ImageMeta> = {}): ImageMeta => ({
  rows: 1,
  columns: 4,
  samplesPerPixel: 1,
  bitsAllocated: 16,
  bitsStored: 16,
  highBit: 15,
  pixelRepresentation: 1,
  photometricInterpretation: 'MONOCHROME2',
  sourcePhotometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  numberOfFrames: 1,
  rescaleSlope: 1,
  rescaleIntercept: -1024,
  windowCenter: 40,
  windowWidth: 400,
  voiLutFunction: 'LINEAR',
  modality: 'CT',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  lossy: false,
  hasModalityLutSequence: false,
  ...over,
});
