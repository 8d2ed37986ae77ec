/** Modality LUT: stored values to modality units (HU for CT) by Rescale Slope and Intercept, PS3.3 C.11.1. */
import type { ImageMeta, StoredPixelArray } from './types.js';

/** The linear Modality LUT of PS3.3 C.11.1.1.2: `out = stored × slope + intercept`. */
export interface ModalityRescale {
  slope: number;
  intercept: number;
}

/** Slope and intercept of an image; the decoder already defaulted absent values to 1 and 0. */
export function modalityRescale(meta: Pick<ImageMeta, 'rescaleSlope' | 'rescaleIntercept'>): ModalityRescale {
  return { slope: meta.rescaleSlope, intercept: meta.rescaleIntercept };
}

/**
 * Applies the rescale to a whole frame, in float64 arithmetic rounded once to float32 (exact for CT: integer
 * HU). `out` may be passed to reuse a buffer; it must be at least `frame.length` long.
 */
export function applyModalityLut(frame: StoredPixelArray, rescale: ModalityRescale, out: Float32Array = new Float32Array(frame.length)): Float32Array {
  if (out.length < frame.length) throw new RangeError(`output holds ${out.length} values, the frame ${frame.length}`);
  const { slope, intercept } = rescale;
  for (let i = 0; i < frame.length; i++) out[i] = (frame[i] as number) * slope + intercept;
  return out;
}

/** Smallest and largest modality value of a frame (for the min/max fallback window). */
export function modalityRange(frame: StoredPixelArray, rescale: ModalityRescale): { min: number; max: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return { min: 0, max: 0 };
  const a = lo * rescale.slope + rescale.intercept;
  const b = hi * rescale.slope + rescale.intercept;
  // a negative slope swaps the ends
  return a <= b ? { min: a, max: b } : { min: b, max: a };
}
