/** Parses a Part-10 file (dicom-parser; deflate inflated with node:zlib) into the Image Pixel attributes and the Pixel Data bytes. */
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import { TransferSyntax } from '../dicom/index.js';
import type { PaletteLut } from './color.js';
import { VOI_LUT_FUNCTIONS, type UndecodableCause, type VoiLutFunction } from './types.js';

/** The Image Pixel module (PS3.3 C.7.6.3) and its neighbours, as declared, before any check. */
export interface PixelAttributes {
  transferSyntaxUid: string;
  rows: number | undefined;
  columns: number | undefined;
  samplesPerPixel: number | undefined;
  bitsAllocated: number | undefined;
  bitsStored: number | undefined;
  highBit: number | undefined;
  pixelRepresentation: number | undefined;
  photometricInterpretation: string;
  planarConfiguration: number | undefined;
  numberOfFrames: number;
  rescaleSlope: number | undefined;
  rescaleIntercept: number | undefined;
  windowCenter: number | undefined;
  windowWidth: number | undefined;
  voiLutFunction: VoiLutFunction;
  modality: string;
  lossyImageCompression: boolean;
  hasModalityLutSequence: boolean;
  /** Red, green and blue Palette Color LUTs, read only for PALETTE COLOR images. */
  palette: [PaletteLut, PaletteLut, PaletteLut] | undefined;
}

/** Where the pixels are: native bytes, or the fragments of encapsulated Pixel Data (PS3.5 A.4). */
export type PixelPayload =
  | { kind: 'native'; bytes: Uint8Array; bigEndian: boolean; float: 0 | 32 | 64 }
  | { kind: 'encapsulated'; fragments: Uint8Array[]; basicOffsetTable: number[]; fragmentOffsets: number[]; extendedOffsets: number[] | undefined };

export type ImageDatasetResult =
  | { kind: 'ok'; attributes: PixelAttributes; payload: PixelPayload }
  | { kind: 'failed'; cause: UndecodableCause; reason: string; transferSyntaxUid: string | undefined };

export interface ReadImageOptions {
  /** Transfer syntax of a dataset that has no File Meta Information (no "DICM" at byte 128). */
  transferSyntaxUid?: string;
  /** Upper bound for an inflated deflate dataset, against deflate bombs. Default 1 GiB. */
  maxInflatedBytes?: number;
}

interface ParserError {
  exception?: unknown;
}

/** Parses `part10` far enough to find the pixel description and Pixel Data; never throws. */
export function readImageDataset(part10: Uint8Array, options: ReadImageOptions = {}): ImageDatasetResult {
  const maxOutputLength = options.maxInflatedBytes ?? 1 << 30;
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(part10, {
      ...(options.transferSyntaxUid === undefined ? {} : { TransferSyntaxUID: options.transferSyntaxUid }),
      // PS3.5 A.5: the dataset after the meta header is one raw deflate stream; inflate it here, bounded.
      inflater: (bytes: Uint8Array, position: number) => {
        const inflated = inflateRawSync(bytes.subarray(position), { maxOutputLength });
        const whole = new Uint8Array(position + inflated.length);
        whole.set(bytes.subarray(0, position), 0);
        whole.set(inflated, position);
        return whole;
      },
    } as dicomParser.ParseDicomOptions);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String((err as ParserError).exception ?? err);
    return { kind: 'failed', cause: 'not-dicom', reason: `cannot parse the dataset: ${reason}`, transferSyntaxUid: options.transferSyntaxUid };
  }
  const str = (tag: string): string => (ds.string(tag) ?? '').trim();
  const transferSyntaxUid = str('x00020010').replace(/\0/g, '') || (options.transferSyntaxUid ?? '');
  const pixel = ds.elements.x7fe00010 ?? ds.elements.x7fe00008 ?? ds.elements.x7fe00009;
  if (pixel === undefined) return { kind: 'failed', cause: 'no-pixel-data', reason: 'the dataset has no Pixel Data (7FE0,0010)', transferSyntaxUid };
  const attributes: PixelAttributes = {
    transferSyntaxUid,
    rows: ds.uint16('x00280010'),
    columns: ds.uint16('x00280011'),
    samplesPerPixel: ds.uint16('x00280002'),
    bitsAllocated: ds.uint16('x00280100'),
    bitsStored: ds.uint16('x00280101'),
    highBit: ds.uint16('x00280102'),
    pixelRepresentation: ds.uint16('x00280103'),
    photometricInterpretation: str('x00280004'),
    planarConfiguration: ds.uint16('x00280006'),
    numberOfFrames: positiveInt(ds.intString('x00280008')) ?? 1,
    rescaleSlope: finite(ds.floatString('x00281053')),
    rescaleIntercept: finite(ds.floatString('x00281052')),
    windowCenter: finite(ds.floatString('x00281050', 0)),
    windowWidth: finite(ds.floatString('x00281051', 0)),
    voiLutFunction: voiFunction(str('x00281056')),
    modality: str('x00080060'),
    lossyImageCompression: str('x00282110') === '01',
    hasModalityLutSequence: ds.elements.x00283000 !== undefined,
    palette: undefined,
  };
  if (attributes.photometricInterpretation === 'PALETTE COLOR') attributes.palette = readPalette(ds, attributes.pixelRepresentation === 1);
  const bytes = ds.byteArray;
  if (pixel.encapsulatedPixelData === true) {
    const fragments = (pixel.fragments ?? []).map((f) => bytes.subarray(f.position, f.position + f.length));
    if (fragments.some((f, i) => f.length !== pixel.fragments?.[i]?.length)) {
      return { kind: 'failed', cause: 'malformed', reason: 'a Pixel Data fragment runs past the end of the file', transferSyntaxUid };
    }
    return {
      kind: 'ok',
      attributes,
      payload: {
        kind: 'encapsulated',
        fragments,
        basicOffsetTable: pixel.basicOffsetTable ?? [],
        fragmentOffsets: (pixel.fragments ?? []).map((f) => f.offset),
        extendedOffsets: readExtendedOffsets(ds),
      },
    };
  }
  if (pixel.length === 0xffffffff || pixel.dataOffset + pixel.length > bytes.length) {
    return { kind: 'failed', cause: 'malformed', reason: `Pixel Data ends past the end of the file (${pixel.length} bytes declared)`, transferSyntaxUid };
  }
  const float = pixel.tag === 'x7fe00008' ? 32 : pixel.tag === 'x7fe00009' ? 64 : 0;
  return {
    kind: 'ok',
    attributes,
    payload: {
      kind: 'native',
      bytes: bytes.subarray(pixel.dataOffset, pixel.dataOffset + pixel.length),
      bigEndian: transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian,
      float,
    },
  };
}

/** Extended Offset Table (7FE0,0001), PS3.5 A.4: 64-bit offsets of each frame's first fragment item. */
function readExtendedOffsets(ds: dicomParser.DataSet): number[] | undefined {
  const el = ds.elements.x7fe00001;
  if (el === undefined || el.length === 0 || el.length % 8 !== 0) return undefined;
  const view = new DataView(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset, el.length);
  const out: number[] = [];
  for (let i = 0; i < el.length; i += 8) out.push(Number(view.getBigUint64(i, true)));
  return out;
}

/** PS3.3 C.7.6.3.1.5–6; segmented palettes (0028,1221–1223) are not read, so such images fail as unsupported. */
function readPalette(ds: dicomParser.DataSet, signedIndices: boolean): [PaletteLut, PaletteLut, PaletteLut] | undefined {
  const luts: PaletteLut[] = [];
  for (const [descriptorTag, dataTag] of [['x00281101', 'x00281201'], ['x00281102', 'x00281202'], ['x00281103', 'x00281203']] as const) {
    const data = ds.elements[dataTag];
    const entriesValue = ds.uint16(descriptorTag, 0);
    const first = ds.uint16(descriptorTag, 1);
    const bits = ds.uint16(descriptorTag, 2);
    if (data === undefined || entriesValue === undefined || first === undefined || bits === undefined) return undefined;
    const entries = entriesValue === 0 ? 65536 : entriesValue; // C.7.6.3.1.5: 0 means 2^16
    const bytes = ds.byteArray.subarray(data.dataOffset, data.dataOffset + data.length);
    const values = new Uint16Array(entries);
    if (bytes.length === entries) values.set(bytes); // 8-bit entries, one per byte
    else if (bytes.length >= 2 * entries) for (let i = 0; i < entries; i++) values[i] = ds.byteArrayParser.readUint16(bytes, 2 * i);
    else return undefined;
    luts.push({ firstMapped: signedIndices && first > 0x7fff ? first - 0x10000 : first, bits, data: values });
  }
  return luts as [PaletteLut, PaletteLut, PaletteLut];
}

function finite(v: number | undefined): number | undefined {
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

function positiveInt(v: number | undefined): number | undefined {
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : undefined;
}

function voiFunction(value: string): VoiLutFunction {
  return (VOI_LUT_FUNCTIONS as readonly string[]).includes(value) ? (value as VoiLutFunction) : 'LINEAR';
}
