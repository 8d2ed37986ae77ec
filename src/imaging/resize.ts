/**
 * Bilinear resize without antialiasing, pixel-centre aligned by default (`align_corners=False`, as torch
 * `F.interpolate(mode='bilinear')`, TF2 `tf.image.resize`, tfjs `resizeBilinear(x, size, false, true)`), the
 * convention models/chest-ct-nodule-demo/preprocess.py trains with. Each axis is scaled on its own.
 */

/** Per output index along one axis: the two source indices and the weight of the second. */
export interface ResizeAxis {
  i0: Int32Array;
  i1: Int32Array;
  /** Weight of `i1`, in [0, 1). Float64 so the index arithmetic matches the reference (float32 drifts ~1e-5). */
  f: Float64Array;
}

/**
 * Sampling positions for `nOut` outputs from `nIn` inputs.
 * - alignCorners false (default): src = max((i + 0.5)·nIn/nOut − 0.5, 0): output and input pixel centres line up,
 *   edges clamp (the upper neighbour is clamped to nIn − 1);
 * - alignCorners true: src = i·(nIn − 1)/(nOut − 1): the first and last samples sit on the corner pixels.
 */
export function bilinearAxis(nIn: number, nOut: number, alignCorners = false): ResizeAxis {
  if (!(Number.isInteger(nIn) && Number.isInteger(nOut) && nIn > 0 && nOut > 0)) throw new RangeError(`resize axis ${nIn} → ${nOut}`);
  const i0 = new Int32Array(nOut);
  const i1 = new Int32Array(nOut);
  const f = new Float64Array(nOut);
  const scale = nIn / nOut;
  for (let i = 0; i < nOut; i++) {
    const src = alignCorners ? (nOut > 1 ? (i * (nIn - 1)) / (nOut - 1) : 0) : Math.max((i + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(src), nIn - 1);
    i0[i] = lo;
    i1[i] = Math.min(lo + 1, nIn - 1);
    f[i] = src - lo;
  }
  return { i0, i1, f };
}

const axisCache = new Map<string, ResizeAxis>();

/** `bilinearAxis`, memoised: a study resizes hundreds of slices with the same two axes. */
export function cachedAxis(nIn: number, nOut: number, alignCorners: boolean): ResizeAxis {
  const key = `${nIn}:${nOut}:${alignCorners ? 1 : 0}`;
  let axis = axisCache.get(key);
  if (axis === undefined) {
    if (axisCache.size > 64) axisCache.clear();
    axis = bilinearAxis(nIn, nOut, alignCorners);
    axisCache.set(key, axis);
  }
  return axis;
}

export interface ResizeOptions {
  /** Interleaved samples per pixel in `src` and `dst`; default 1. */
  channels?: number;
  alignCorners?: boolean;
}

/**
 * Resizes an interleaved `srcWidth × srcHeight` image into `dst` (`dstWidth × dstHeight`, same channels),
 * computing in float64: out = (1−fr)·((1−fc)·a + fc·b) + fr·((1−fc)·c + fc·d), the reference's expression.
 */
export function resizeBilinear(
  src: ArrayLike<number>,
  srcWidth: number,
  srcHeight: number,
  dst: Float32Array,
  dstWidth: number,
  dstHeight: number,
  options: ResizeOptions = {},
): Float32Array {
  const ch = options.channels ?? 1;
  if (src.length < srcWidth * srcHeight * ch) throw new RangeError(`source holds ${src.length} values, ${srcWidth}×${srcHeight}×${ch} needed`);
  if (dst.length < dstWidth * dstHeight * ch) throw new RangeError(`destination holds ${dst.length} values, ${dstWidth}×${dstHeight}×${ch} needed`);
  const rows = cachedAxis(srcHeight, dstHeight, options.alignCorners ?? false);
  const cols = cachedAxis(srcWidth, dstWidth, options.alignCorners ?? false);
  let o = 0;
  for (let r = 0; r < dstHeight; r++) {
    const top = (rows.i0[r] as number) * srcWidth;
    const bottom = (rows.i1[r] as number) * srcWidth;
    const fr = rows.f[r] as number;
    for (let c = 0; c < dstWidth; c++) {
      const c0 = cols.i0[c] as number;
      const c1 = cols.i1[c] as number;
      const fc = cols.f[c] as number;
      for (let k = 0; k < ch; k++) {
        const a = src[(top + c0) * ch + k] as number;
        const b = src[(top + c1) * ch + k] as number;
        const cc = src[(bottom + c0) * ch + k] as number;
        const d = src[(bottom + c1) * ch + k] as number;
        dst[o++] = (1 - fr) * ((1 - fc) * a + fc * b) + fr * ((1 - fc) * cc + fc * d);
      }
    }
  }
  return dst;
}
