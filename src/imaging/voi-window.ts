/** VOI window: modality values to [0, 1] by window centre/width and VOI LUT Function, PS3.3 C.11.2.1.2–3. */
import { modalityRange, type ModalityRescale } from './modality-lut.js';
import type { ImageMeta, StoredPixelArray, VoiLutFunction } from './types.js';

/** A window given by a model's config. */
export interface WindowPreset {
  center: number;
  width: number;
  /**
   * Default `LINEAR_EXACT`, i.e. `clamp((x − (c − w/2)) / w, 0, 1)`: the plain formula model training code uses
   * (the demo model's card says so). `LINEAR` is DICOM's default for windows stored in images, with its −0.5/−1
   * offsets (C.11.2.1.2.1); the two differ by up to 1/(2w).
   */
  voiLutFunction?: VoiLutFunction;
}

/** The window applied to one frame, and where it came from. */
export interface VoiWindow {
  center: number;
  width: number;
  voiLutFunction: VoiLutFunction;
  source: 'preset' | 'image' | 'min-max';
}

/**
 * Picks the window: the model's preset if given, else the image's first Window Center/Width with its VOI LUT
 * Function, else the frame's modality min..max (LINEAR_EXACT, so min → 0 and max → 1). An image window that
 * the standard forbids (width < 1 for LINEAR, ≤ 0 otherwise) is skipped. A bad preset is a config bug: RangeError.
 */
export function resolveWindow(meta: ImageMeta, frame: StoredPixelArray, rescale: ModalityRescale, preset?: WindowPreset): VoiWindow {
  if (preset !== undefined) {
    const fn = preset.voiLutFunction ?? 'LINEAR_EXACT';
    if (!isValid(preset.center, preset.width, fn)) throw new RangeError(`window preset center ${preset.center} width ${preset.width} (${fn}) is invalid`);
    return { center: preset.center, width: preset.width, voiLutFunction: fn, source: 'preset' };
  }
  const { windowCenter: c, windowWidth: w, voiLutFunction: fn } = meta;
  if (c !== undefined && w !== undefined && isValid(c, w, fn)) return { center: c, width: w, voiLutFunction: fn, source: 'image' };
  const { min, max } = modalityRange(frame, rescale);
  return { center: (min + max) / 2, width: max - min, voiLutFunction: 'LINEAR_EXACT', source: 'min-max' };
}

function isValid(center: number, width: number, fn: VoiLutFunction): boolean {
  return Number.isFinite(center) && Number.isFinite(width) && (fn === 'LINEAR' ? width >= 1 : width > 0);
}

/**
 * One value through the window to [0, 1] (ymin 0, ymax 1 in the standard's formulas):
 * - LINEAR (C.11.2.1.2.1): 0 if x ≤ c − 0.5 − (w−1)/2, 1 if x > c − 0.5 + (w−1)/2, else ((x − (c − 0.5)) / (w−1) + 0.5);
 * - LINEAR_EXACT (C.11.2.1.3.2): 0 if x ≤ c − w/2, 1 if x > c + w/2, else (x − c)/w + 0.5;
 * - SIGMOID (C.11.2.1.3.1): 1 / (1 + exp(−4 (x − c)/w)).
 * A min-max window of width 0 (a flat frame) maps everything to 0.
 */
export function voiToUnit(x: number, w: VoiWindow): number {
  if (w.voiLutFunction === 'SIGMOID') return 1 / (1 + Math.exp((-4 * (x - w.center)) / w.width));
  if (w.width <= 0) return 0;
  if (w.voiLutFunction === 'LINEAR') {
    if (w.width === 1) return x <= w.center - 0.5 ? 0 : 1;
    const y = (x - (w.center - 0.5)) / (w.width - 1) + 0.5;
    return y <= 0 ? 0 : y >= 1 ? 1 : y;
  }
  const y = (x - w.center) / w.width + 0.5;
  return y <= 0 ? 0 : y >= 1 ? 1 : y;
}

/**
 * The window as `clamp(x × scale + offset, 0, 1)` when it is linear (LINEAR with w > 1, LINEAR_EXACT), so the
 * hot path can fold it with the rescale into one multiply-add; undefined for SIGMOID and the LINEAR w = 1 step.
 */
export function windowAffine(w: VoiWindow): { scale: number; offset: number } | undefined {
  if (w.voiLutFunction === 'SIGMOID') return undefined;
  if (w.width <= 0) return { scale: 0, offset: 0 };
  if (w.voiLutFunction === 'LINEAR') {
    if (w.width === 1) return undefined;
    return { scale: 1 / (w.width - 1), offset: 0.5 - (w.center - 0.5) / (w.width - 1) };
  }
  // equals voiToUnit up to float64 rounding (~1e-16), far below float32 output precision
  return { scale: 1 / w.width, offset: 0.5 - w.center / w.width };
}

/**
 * Windows modality values to [0, 1] into `out`; `invert` gives 1 − y, the MONOCHROME1 rule (C.7.6.3.1.2: minimum
 * is white), applied after the VOI as C.11 orders it.
 */
export function applyVoiWindow(values: ArrayLike<number>, w: VoiWindow, out: Float32Array = new Float32Array(values.length), invert = false): Float32Array {
  if (out.length < values.length) throw new RangeError(`output holds ${out.length} values, the input ${values.length}`);
  for (let i = 0; i < values.length; i++) {
    const y = voiToUnit(values[i] as number, w);
    out[i] = invert ? 1 - y : y;
  }
  return out;
}
