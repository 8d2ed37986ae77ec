/** Shapes shared by the pixel pipeline: decoded frames, their image description, and why a file is undecodable. */

/** One frame of stored values, right-aligned at bit 0 and sign-extended, samples interleaved (R,G,B,R,G,B…). */
export type StoredPixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** VOI LUT Function (0028,1056), PS3.3 C.11.2.1.3; absent means LINEAR. */
export const VOI_LUT_FUNCTIONS = ['LINEAR', 'LINEAR_EXACT', 'SIGMOID'] as const;
export type VoiLutFunction = (typeof VOI_LUT_FUNCTIONS)[number];

/**
 * What the frames are. Attributes follow the Image Pixel module (PS3.3 C.7.6.3), with two deliberate differences
 * that describe the frames as returned rather than as encoded: `photometricInterpretation` is `RGB` for every
 * colour image (YBR_* and PALETTE COLOR are converted), and frames are always colour-by-pixel whatever
 * `planarConfiguration` the dataset declared.
 */
export interface ImageMeta {
  rows: number;
  columns: number;
  samplesPerPixel: 1 | 3;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  /** MONOCHROME1, MONOCHROME2 or RGB: the interpretation of the returned frames. */
  photometricInterpretation: 'MONOCHROME1' | 'MONOCHROME2' | 'RGB';
  /** (0028,0004) as the dataset declares it (e.g. YBR_FULL_422 for a JPEG that decoded to RGB). */
  sourcePhotometricInterpretation: string;
  /** (0028,0006) as declared (0 when absent); the returned frames are always interleaved. */
  planarConfiguration: 0 | 1;
  numberOfFrames: number;
  /** (0028,1053)/(0028,1052), default 1 and 0 (PS3.3 C.11.1.1.2). */
  rescaleSlope: number;
  rescaleIntercept: number;
  /** First value of (0028,1050)/(0028,1051), if present and usable (width ≥ 1). */
  windowCenter: number | undefined;
  windowWidth: number | undefined;
  voiLutFunction: VoiLutFunction;
  modality: string;
  transferSyntaxUid: string;
  /** Whether the pixels went through lossy compression (lossy transfer syntax, or (0028,2110) = "01"). */
  lossy: boolean;
  /**
   * The image has a Modality LUT Sequence (0028,3000). The pipeline applies only Rescale Slope/Intercept, so for
   * such an image modality values are not what the sequence says: callers should skip it or accept that.
   */
  hasModalityLutSequence: boolean;
}

export interface DecodedImage {
  meta: ImageMeta;
  /** One array per decoded frame, each `rows × columns × samplesPerPixel` long. */
  frames: StoredPixelArray[];
}

/** Why a file could not be decoded, as a closed set the pipeline can branch and count on. */
export const UNDECODABLE_CAUSES = [
  /** Not a Part-10 file (no "DICM") and no transfer syntax was supplied, or the bytes do not parse. */
  'not-dicom',
  /** The dataset has no Pixel Data (SR, presentation state, …). */
  'no-pixel-data',
  /** No codec here decodes this transfer syntax. */
  'unsupported-transfer-syntax',
  /** The pixel description is outside what the pipeline handles (bits, samples, photometric interpretation). */
  'unsupported-pixel-format',
  /** The pixel attributes or Pixel Data are inconsistent or truncated. */
  'malformed',
  /** A codec rejected the compressed data. */
  'codec-failed',
] as const;
export type UndecodableCause = (typeof UNDECODABLE_CAUSES)[number];

export type DecodeResult =
  | ({ kind: 'decoded' } & DecodedImage)
  | { kind: 'undecodable'; cause: UndecodableCause; reason: string; transferSyntaxUid: string | undefined };
