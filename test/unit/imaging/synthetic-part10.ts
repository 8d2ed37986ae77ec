/** Builds small Part-10 image files in memory (explicit/implicit VR, either byte order, deflate, encapsulated) for unit tests. */
import { deflateRawSync } from 'node:zlib';
import { buildFileMetaHeader } from '../../../src/dicom/index.js';

export const TS = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  deflate: '1.2.840.10008.1.2.1.99',
  bigEndian: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
  jpegLs: '1.2.840.10008.1.2.4.80',
  mpeg2: '1.2.840.10008.1.2.4.100',
} as const;

export interface ImageSpec {
  rows: number;
  columns: number;
  samplesPerPixel?: number;
  bitsAllocated?: number;
  bitsStored?: number;
  highBit?: number;
  pixelRepresentation?: number;
  photometric?: string;
  planar?: number;
  frames?: number;
  rescale?: [number, number];
  window?: [number, number];
  voiLutFunction?: string;
  modality?: string;
  /** Extra elements, e.g. palette LUTs: [group, element, VR, value]. */
  extra?: Array<[number, number, string, Buffer]>;
}

export type PixelPayload = Buffer | { fragments: Buffer[]; offsets?: number[] } | undefined;

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'SQ', 'UT', 'UN', 'UC', 'UR', 'OL', 'OV']);

function text(value: string, pad = ' '): Buffer {
  return Buffer.from(value.length % 2 === 1 ? value + pad : value, 'latin1');
}

function us(value: number, bigEndian: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (bigEndian) b.writeUInt16BE(value);
  else b.writeUInt16LE(value);
  return b;
}

/** Pixel data words of the given width in the given byte order. */
export function words(values: number[], bytes: 1 | 2 | 4, bigEndian = false): Buffer {
  const b = Buffer.alloc(values.length * bytes + ((values.length * bytes) % 2));
  values.forEach((v, i) => {
    if (bytes === 1) b.writeUInt8(v & 0xff, i);
    else if (bytes === 2) bigEndian ? b.writeUInt16BE(v & 0xffff, 2 * i) : b.writeUInt16LE(v & 0xffff, 2 * i);
    else bigEndian ? b.writeUInt32BE(v >>> 0, 4 * i) : b.writeUInt32LE(v >>> 0, 4 * i);
  });
  return b;
}

function element(group: number, el: number, vr: string, value: Buffer, explicit: boolean, bigEndian: boolean, undefinedLength = false): Buffer {
  const head: Buffer[] = [];
  const tag = Buffer.alloc(4);
  if (bigEndian) {
    tag.writeUInt16BE(group, 0);
    tag.writeUInt16BE(el, 2);
  } else {
    tag.writeUInt16LE(group, 0);
    tag.writeUInt16LE(el, 2);
  }
  head.push(tag);
  const length = undefinedLength ? 0xffffffff : value.length;
  if (!explicit) {
    const l = Buffer.alloc(4);
    l.writeUInt32LE(length);
    head.push(l);
  } else if (LONG_VRS.has(vr)) {
    const l = Buffer.alloc(8);
    l.write(vr, 0, 'latin1');
    if (bigEndian) l.writeUInt32BE(length, 4);
    else l.writeUInt32LE(length, 4);
    head.push(l);
  } else {
    const l = Buffer.alloc(4);
    l.write(vr, 0, 'latin1');
    if (bigEndian) l.writeUInt16BE(length, 2);
    else l.writeUInt16LE(length, 2);
    head.push(l);
  }
  return Buffer.concat([...head, value]);
}

function item(value: Buffer, group = 0xfffe, el = 0xe000): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(group, 0);
  b.writeUInt16LE(el, 2);
  b.writeUInt32LE(value.length, 4);
  return Buffer.concat([b, value]);
}

/** Encapsulated Pixel Data value (PS3.5 A.4): offset table item, fragments, sequence delimiter. */
function encapsulated(fragments: Buffer[], offsets: number[] = []): Buffer {
  const bot = Buffer.alloc(offsets.length * 4);
  offsets.forEach((o, i) => bot.writeUInt32LE(o, 4 * i));
  return Buffer.concat([item(bot), ...fragments.map((f) => item(f.length % 2 === 1 ? Buffer.concat([f, Buffer.from([0])]) : f)), item(Buffer.alloc(0), 0xfffe, 0xe0dd)]);
}

/** A Secondary Capture-like image dataset with the Image Pixel module of `spec`, as a Part-10 file. */
export function part10(spec: ImageSpec, pixels: PixelPayload, transferSyntaxUid: string = TS.explicit): Buffer {
  const bigEndian = transferSyntaxUid === TS.bigEndian;
  const explicit = transferSyntaxUid !== TS.implicit;
  const ba = spec.bitsAllocated ?? 16;
  const bs = spec.bitsStored ?? ba;
  const els: Array<[number, number, string, Buffer]> = [
    [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.7', '\0')],
    [0x0008, 0x0018, 'UI', text('1.2.3.4', '\0')],
    [0x0008, 0x0060, 'CS', text(spec.modality ?? 'OT')],
    [0x0020, 0x000d, 'UI', text('1.2.3', '\0')],
    [0x0020, 0x000e, 'UI', text('1.2.3.5', '\0')],
    [0x0028, 0x0002, 'US', us(spec.samplesPerPixel ?? 1, bigEndian)],
    [0x0028, 0x0004, 'CS', text(spec.photometric ?? 'MONOCHROME2')],
    [0x0028, 0x0010, 'US', us(spec.rows, bigEndian)],
    [0x0028, 0x0011, 'US', us(spec.columns, bigEndian)],
    [0x0028, 0x0100, 'US', us(ba, bigEndian)],
    [0x0028, 0x0101, 'US', us(bs, bigEndian)],
    [0x0028, 0x0102, 'US', us(spec.highBit ?? bs - 1, bigEndian)],
    [0x0028, 0x0103, 'US', us(spec.pixelRepresentation ?? 0, bigEndian)],
  ];
  if (spec.planar !== undefined) els.push([0x0028, 0x0006, 'US', us(spec.planar, bigEndian)]);
  if (spec.frames !== undefined) els.push([0x0028, 0x0008, 'IS', text(String(spec.frames))]);
  if (spec.window !== undefined) els.push([0x0028, 0x1050, 'DS', text(String(spec.window[0]))], [0x0028, 0x1051, 'DS', text(String(spec.window[1]))]);
  if (spec.rescale !== undefined) els.push([0x0028, 0x1052, 'DS', text(String(spec.rescale[1]))], [0x0028, 0x1053, 'DS', text(String(spec.rescale[0]))]);
  if (spec.voiLutFunction !== undefined) els.push([0x0028, 0x1056, 'CS', text(spec.voiLutFunction)]);
  els.push(...(spec.extra ?? []));
  els.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const parts = els.map(([g, e, vr, v]) => element(g, e, vr, v, explicit, bigEndian));
  if (Buffer.isBuffer(pixels)) parts.push(element(0x7fe0, 0x0010, ba > 8 ? 'OW' : 'OB', pixels, explicit, bigEndian));
  else if (pixels !== undefined) parts.push(element(0x7fe0, 0x0010, 'OB', encapsulated(pixels.fragments, pixels.offsets), true, false, true));
  let dataset = Buffer.concat(parts);
  if (transferSyntaxUid === TS.deflate) dataset = deflateRawSync(dataset);
  return Buffer.concat([buildFileMetaHeader({ sopClassUid: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUid: '1.2.3.4', transferSyntaxUid }), dataset]);
}

/** RLE-encodes one frame (PS3.5 G.3) with literal runs only, plus replicate runs where bytes repeat. */
export function rleFrame(samples: number[][], bytesPerSample: number): Buffer {
  const segments: Buffer[] = [];
  for (const plane of samples) {
    for (let byte = bytesPerSample - 1; byte >= 0; byte--) {
      const raw = plane.map((v) => (v >>> (8 * byte)) & 0xff);
      segments.push(packBits(raw));
    }
  }
  const header = Buffer.alloc(64);
  header.writeUInt32LE(segments.length, 0);
  let at = 64;
  segments.forEach((s, i) => {
    header.writeUInt32LE(at, 4 + 4 * i);
    at += s.length;
  });
  return Buffer.concat([header, ...segments]);
}

function packBits(raw: number[]): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < raw.length) {
    let run = 1;
    while (i + run < raw.length && raw[i + run] === raw[i] && run < 128) run++;
    if (run >= 3) {
      out.push((1 - run) & 0xff, raw[i] as number);
      i += run;
    } else {
      const start = i;
      while (i < raw.length && i - start < 128 && !(raw[i] === raw[i + 1] && raw[i] === raw[i + 2])) i++;
      if (i === start) i++;
      out.push(i - start - 1, ...raw.slice(start, i));
    }
  }
  const b = Buffer.from(out);
  return b.length % 2 === 1 ? Buffer.concat([b, Buffer.from([0x80])]) : b; // pad with a no-op (−128)
}
