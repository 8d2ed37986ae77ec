/**
 * Decoded frame → model input: modality LUT, VOI window, MONOCHROME1 inversion, bilinear resize, channels,
 * normalisation and layout, in one pass over the output with no per-pixel allocation (the preprocessing hot path).
 */
import { modalityRescale, type ModalityRescale } from './modality-lut.js';
import { cachedAxis } from './resize.js';
import type { DecodedImage, StoredPixelArray } from './types.js';
import { resolveWindow, voiToUnit, windowAffine, type VoiWindow, type WindowPreset } from './voi-window.js';

/** What a model wants as input; the `input` block of a model's config. */
export interface TensorSpec {
  width: number;
  height: number;
  /** 1, or 3 (a monochrome image is replicated to all three). */
  channels: 1 | 3;
  layout: 'NHWC' | 'NCHW';
  /** Window for monochrome images (modality units, e.g. HU); absent: the image's own, else min..max. */
  window?: WindowPreset;
  /**
   * Applied to the windowed value v ∈ [0, 1]: `{min, max}` → min + v·(max − min); `{mean, std}` → (v − mean)/std,
   * per channel when arrays are given.
   */
  normalize: { min: number; max: number } | { mean: number | readonly number[]; std: number | readonly number[] };
  /** Resize grid; default false (pixel centres aligned, see resize.ts). */
  alignCorners?: boolean;
}

export interface PreprocessOptions {
  /** Frame of a multi-frame image; default 0. */
  frame?: number;
  /** Destination to write into (e.g. a batch); default a new array of `tensorSize(spec)`. */
  out?: Float32Array;
  /** Index in `out` where this slice starts; default 0. */
  offset?: number;
}

/** Values one slice occupies: width × height × channels. */
export function tensorSize(spec: TensorSpec): number {
  return spec.width * spec.height * spec.channels;
}

/**
 * Preprocesses one frame for a model. Monochrome: stored → modality (slope/intercept) → window to [0, 1] →
 * 1 − v for MONOCHROME1 → resize → normalise. RGB: each sample / (2^BitsStored − 1), no window; a one-channel
 * model gets luminance (0.299 R + 0.587 G + 0.114 B, the Y of PS3.3 C.7.6.3.1.2). Throws RangeError only for a
 * bad spec, frame index or `out` (caller bugs), never for image content.
 */
export function preprocessForModel(image: DecodedImage, spec: TensorSpec, options: PreprocessOptions = {}): Float32Array {
  const norm = normalization(spec);
  const size = tensorSize(spec);
  const out = options.out ?? new Float32Array(size);
  const offset = options.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset + size > out.length) throw new RangeError(`slice at ${offset} does not fit an output of ${out.length}`);
  const index = options.frame ?? 0;
  const frame = image.frames[index];
  if (frame === undefined) throw new RangeError(`frame ${index} of ${image.frames.length} decoded`);
  const { meta } = image;
  const target: Target = { out, offset, spec, mul: norm.mul, add: norm.add };
  if (meta.photometricInterpretation === 'RGB') {
    const scale = 1 / (2 ** meta.bitsStored - 1);
    if (spec.channels === 3) resizeAffine(frame, meta.columns, meta.rows, 3, scale, 0, target);
    else resizeAffine(luminance(frame), meta.columns, meta.rows, 1, scale, 0, target);
    return out;
  }
  const rescale = modalityRescale(meta);
  const window = resolveWindow(meta, frame, rescale, spec.window);
  const invert = meta.photometricInterpretation === 'MONOCHROME1';
  const affine = windowAffine(window);
  if (affine !== undefined) {
    // clamp(window(stored·slope + intercept)) folded into clamp(stored·s + o); MONOCHROME1 flips it: 1 − y.
    let s = rescale.slope * affine.scale;
    let o = rescale.intercept * affine.scale + affine.offset;
    if (invert) [s, o] = [-s, 1 - o];
    resizeAffine(frame, meta.columns, meta.rows, 1, s, o, target);
  } else {
    resizeAffine(windowFrame(frame, rescale, window, invert), meta.columns, meta.rows, 1, 1, 0, target);
  }
  return out;
}

/** Preprocesses several slices into one `[N, …]` tensor, written in place into `out` (allocated if absent). */
export function preprocessBatch(slices: ReadonlyArray<{ image: DecodedImage; frame?: number }>, spec: TensorSpec, out?: Float32Array): Float32Array {
  const size = tensorSize(spec);
  const batch = out ?? new Float32Array(size * slices.length);
  if (batch.length < size * slices.length) throw new RangeError(`batch output holds ${batch.length} values, ${slices.length} slices need ${size * slices.length}`);
  slices.forEach((s, i) => preprocessForModel(s.image, spec, { frame: s.frame ?? 0, out: batch, offset: i * size }));
  return batch;
}

interface Target {
  out: Float32Array;
  offset: number;
  spec: TensorSpec;
  mul: Float64Array;
  add: Float64Array;
}

/**
 * The one inner loop: for each output pixel and source channel, the four neighbours go through
 * clamp(v·s + o, 0, 1), are blended with the reference's expression, normalised and stored at their layout index.
 */
function resizeAffine(src: StoredPixelArray | Float32Array, srcWidth: number, srcHeight: number, srcChannels: 1 | 3, s: number, o: number, t: Target): void {
  const { width, height, channels, layout, alignCorners } = t.spec;
  const rows = cachedAxis(srcHeight, height, alignCorners ?? false);
  const cols = cachedAxis(srcWidth, width, alignCorners ?? false);
  const plane = width * height;
  const nchw = layout === 'NCHW';
  for (let r = 0; r < height; r++) {
    const top = (rows.i0[r] as number) * srcWidth;
    const bottom = (rows.i1[r] as number) * srcWidth;
    const fr = rows.f[r] as number;
    for (let c = 0; c < width; c++) {
      const c0 = cols.i0[c] as number;
      const c1 = cols.i1[c] as number;
      const fc = cols.f[c] as number;
      const pixel = r * width + c;
      for (let k = 0; k < srcChannels; k++) {
        const a = unit((src[(top + c0) * srcChannels + k] as number) * s + o);
        const b = unit((src[(top + c1) * srcChannels + k] as number) * s + o);
        const cc = unit((src[(bottom + c0) * srcChannels + k] as number) * s + o);
        const d = unit((src[(bottom + c1) * srcChannels + k] as number) * s + o);
        const v = (1 - fr) * ((1 - fc) * a + fc * b) + fr * ((1 - fc) * cc + fc * d);
        if (srcChannels === channels) {
          t.out[t.offset + (nchw ? k * plane + pixel : pixel * channels + k)] = v * (t.mul[k] as number) + (t.add[k] as number);
        } else {
          for (let m = 0; m < channels; m++) t.out[t.offset + (nchw ? m * plane + pixel : pixel * channels + m)] = v * (t.mul[m] as number) + (t.add[m] as number);
        }
      }
    }
  }
}

function unit(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Whole-frame window for the non-linear cases (SIGMOID, LINEAR width 1). */
function windowFrame(frame: StoredPixelArray, rescale: ModalityRescale, window: VoiWindow, invert: boolean): Float32Array {
  const out = new Float32Array(frame.length);
  for (let i = 0; i < frame.length; i++) {
    const y = voiToUnit((frame[i] as number) * rescale.slope + rescale.intercept, window);
    out[i] = invert ? 1 - y : y;
  }
  return out;
}

function luminance(rgb: StoredPixelArray): Float32Array {
  const out = new Float32Array(rgb.length / 3);
  for (let p = 0; p < out.length; p++) out[p] = 0.299 * (rgb[3 * p] as number) + 0.587 * (rgb[3 * p + 1] as number) + 0.114 * (rgb[3 * p + 2] as number);
  return out;
}

/** Per-channel `out = v·mul + add`, checked once per call. */
function normalization(spec: TensorSpec): { mul: Float64Array; add: Float64Array } {
  const { width, height, channels, layout } = spec;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`tensor size ${width}×${height}`);
  if (channels !== 1 && channels !== 3) throw new RangeError(`channels ${String(channels)}`);
  if (layout !== 'NHWC' && layout !== 'NCHW') throw new RangeError(`layout ${String(layout)}`);
  const mul = new Float64Array(channels);
  const add = new Float64Array(channels);
  const n = spec.normalize;
  for (let k = 0; k < channels; k++) {
    if ('min' in n) {
      mul[k] = n.max - n.min;
      add[k] = n.min;
    } else {
      const mean = typeof n.mean === 'number' ? n.mean : n.mean[k];
      const std = typeof n.std === 'number' ? n.std : n.std[k];
      if (mean === undefined || std === undefined || !Number.isFinite(mean) || !Number.isFinite(std) || std === 0) {
        throw new RangeError(`normalize mean/std for channel ${k} missing or invalid`);
      }
      mul[k] = 1 / std;
      add[k] = -mean / std;
    }
  }
  return { mul, add };
}
