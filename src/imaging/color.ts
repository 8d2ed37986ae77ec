/** Colour models to interleaved RGB: planar reordering, YBR_FULL / YBR_FULL_422 conversion, palette lookup (PS3.3 C.7.6.3.1). */
import type { StoredPixelArray } from './types.js';

/** Colour-by-plane (RRR…GGG…BBB…) to colour-by-pixel (RGBRGB…), PS3.3 C.7.6.3.1.3; returns a new array. */
export function planarToInterleaved<T extends StoredPixelArray>(planar: T, pixels: number): T {
  const out = new (planar.constructor as new (n: number) => T)(planar.length);
  for (let p = 0; p < pixels; p++) {
    out[3 * p] = planar[p] as number;
    out[3 * p + 1] = planar[pixels + p] as number;
    out[3 * p + 2] = planar[2 * pixels + p] as number;
  }
  return out;
}

// PS3.3 C.7.6.3.1.2 (YBR_FULL, ITU-R BT.601 full range), inverted; the same coefficients pydicom and libjpeg use.
const CR_R = 1.402;
const CB_G = (0.114 * 1.772) / 0.587;
const CR_G = (0.299 * 1.402) / 0.587;
const CB_B = 1.772;

/** YBR_FULL, colour-by-pixel, to RGB in place; chroma is centred on 2^(bitsStored−1). Rounds, clamps to the range. */
export function ybrFullToRgbInPlace(samples: StoredPixelArray, bitsStored: number): void {
  const half = 2 ** (bitsStored - 1);
  const max = 2 ** bitsStored - 1;
  for (let i = 0; i + 2 < samples.length; i += 3) {
    const y = samples[i] as number;
    const cb = (samples[i + 1] as number) - half;
    const cr = (samples[i + 2] as number) - half;
    samples[i] = clamp(Math.round(y + CR_R * cr), max);
    samples[i + 1] = clamp(Math.round(y - CB_G * cb - CR_G * cr), max);
    samples[i + 2] = clamp(Math.round(y + CB_B * cb), max);
  }
}

/**
 * Native YBR_FULL_422 (PS3.3 C.7.6.3.1.2: Y1 Y2 Cb Cr per pair of pixels on a row) to full YBR samples,
 * colour-by-pixel, each pair sharing its chroma. `columns` must be even.
 */
export function expandYbr422<T extends StoredPixelArray>(packed: T, rows: number, columns: number): T {
  const out = new (packed.constructor as new (n: number) => T)(rows * columns * 3);
  let src = 0;
  let dst = 0;
  for (let pair = 0; pair < (rows * columns) / 2; pair++) {
    const y1 = packed[src] as number;
    const y2 = packed[src + 1] as number;
    const cb = packed[src + 2] as number;
    const cr = packed[src + 3] as number;
    src += 4;
    out[dst] = y1;
    out[dst + 1] = cb;
    out[dst + 2] = cr;
    out[dst + 3] = y2;
    out[dst + 4] = cb;
    out[dst + 5] = cr;
    dst += 6;
  }
  return out;
}

/** One Palette Color Lookup Table (PS3.3 C.7.6.3.1.5–6): descriptor values and the entries. */
export interface PaletteLut {
  firstMapped: number;
  bits: number;
  data: Uint16Array;
}

/**
 * PALETTE COLOR indices to RGB through the three LUTs: indices below the first mapped value take the first entry,
 * above the last take the last (C.7.6.3.1.5). Output is 8-bit when every entry fits in 8 bits, else 16-bit
 * (writers disagree on the declared bits, so the values decide).
 */
export function applyPalette(indices: StoredPixelArray, red: PaletteLut, green: PaletteLut, blue: PaletteLut): Uint8Array | Uint16Array {
  const luts = [red, green, blue];
  const wide = luts.some((l) => l.data.some((v) => v > 255));
  const out = wide ? new Uint16Array(indices.length * 3) : new Uint8Array(indices.length * 3);
  for (let c = 0; c < 3; c++) {
    const lut = luts[c] as PaletteLut;
    const last = lut.data.length - 1;
    for (let i = 0; i < indices.length; i++) {
      let k = (indices[i] as number) - lut.firstMapped;
      k = k < 0 ? 0 : k > last ? last : k;
      out[3 * i + c] = lut.data[k] as number;
    }
  }
  return out;
}

function clamp(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}
