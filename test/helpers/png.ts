/**
 * A small PNG decoder for tests (PNG 2nd edition §§5, 9, 11): 8-bit greyscale, grey+alpha, RGB and RGBA, not
 * interlaced, all five scanline filters; IDAT inflated with node:zlib. Checks each chunk's CRC. Returns RGB.
 */
import { inflateSync } from 'node:zlib';
import { crc32 } from '../../src/imaging/png.js';

export interface DecodedPng {
  width: number;
  height: number;
  /** width × height × 3 bytes, R,G,B. */
  rgb: Uint8Array;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export function decodePng(png: Uint8Array): DecodedPng {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (buf.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG (signature)');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + length);
    if (crc32(buf.subarray(pos + 4, pos + 8 + length)) !== buf.readUInt32BE(pos + 8 + length)) throw new Error(`PNG chunk ${type}: CRC mismatch`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error(`PNG bit depth ${data[8]} / interlace ${data[12]}: only 8-bit, not interlaced`);
      channels = CHANNELS[data[9] ?? -1] ?? 0;
      if (channels === 0) throw new Error(`PNG colour type ${data[9]} not supported here`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (out[y * stride + x - channels] as number) : 0;
      const b = y > 0 ? (out[(y - 1) * stride + x] as number) : 0;
      const c = x >= channels && y > 0 ? (out[(y - 1) * stride + x - channels] as number) : 0;
      const v = line[x] as number;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`PNG filter ${filter}`);
      out[y * stride + x] = (v + pred) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const g = channels <= 2;
    rgb[3 * p] = out[p * channels] as number;
    rgb[3 * p + 1] = out[p * channels + (g ? 0 : 1)] as number;
    rgb[3 * p + 2] = out[p * channels + (g ? 0 : 2)] as number;
  }
  return { width, height, rgb };
}

/** A box-filtered reduction of an RGB image by an integer factor (what a thumbnail of it looks like). */
export function downscale(img: DecodedPng, factor: number): DecodedPng {
  const width = Math.floor(img.width / factor);
  const height = Math.floor(img.height / factor);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += img.rgb[((y * factor + dy) * img.width + x * factor + dx) * 3 + k] as number;
        rgb[(y * width + x) * 3 + k] = Math.round(sum / (factor * factor));
      }
    }
  }
  return { width, height, rgb };
}
