/**
 * Occlusion sensitivity (Zeiler & Fergus 2014) with the model that made the call: slide a patch filled with the
 * slice's mean over the preprocessed input, classify every occluded copy in batches through the same classifier
 * (same session, same provider), and take how far the score drops per position. The region is the convex hull of
 * the largest 4-connected set of input pixels whose mean drop is at least a fraction of the largest, in model-input
 * coordinates (column, row; (0, 0) the top-left corner of the top-left input pixel). No second model, no gradients:
 * it works for any engine the classifier runs on, at the cost of one inference per position (bounded below).
 */

/** The part of a tensor spec the occlusion needs: the input grid and its layout. */
export interface OcclusionInput {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly layout: 'NHWC' | 'NCHW';
}

export interface OcclusionOptions {
  /** Patch side as a fraction of the shorter input side; default 1/8. */
  readonly patchFraction?: number;
  /** Stride as a fraction of the shorter input side; default 1/16. */
  readonly strideFraction?: number;
  /** At most this many positions per slice: the stride grows until the grid fits. Default 256. */
  readonly maxPositions?: number;
  /** Occluded copies per classify call: bounds memory (each copy is one input tensor). Default 64. */
  readonly batch?: number;
  /** Pixels whose mean drop is ≥ this fraction of the largest form the region; default 0.5. */
  readonly threshold?: number;
  /** Output column of the finding's score; default 0. */
  readonly outputIndex?: number;
  /** Checked before each batch. */
  readonly signal?: AbortSignal;
}

/** Scores a batch of preprocessed inputs (e.g. `Classifier.classify`): one row per input. */
export type ScoreBatch = (images: readonly Float32Array[]) => Promise<{ probabilities: number[][] }>;

export interface OcclusionMap {
  /** The score of the unoccluded input, computed in the same calls as the occluded ones. */
  readonly baseline: number;
  /** Largest drop of the score over all positions (baseline − lowest occluded score); ≤ 0 when nothing lowers it. */
  readonly maxDrop: number;
  /** Mean drop of the patches covering each input pixel, row-major `height × width`. */
  readonly pixelDrop: Float32Array;
  readonly patch: number;
  readonly stride: number;
  readonly positions: number;
  /** Inferences run (positions + 1 baseline). */
  readonly inferences: number;
  /**
   * Closed polygon (first point repeated last) around the region, in model-input coordinates [column, row];
   * undefined when no position lowered the score.
   */
  readonly region: ReadonlyArray<readonly [number, number]> | undefined;
  /** Input pixels in the region's connected component. */
  readonly regionPixels: number;
}

/** Positions along an axis of `n` pixels for a patch of `p` with stride `s`: 0, s, 2s, …, and n − p so the far edge is covered. */
function axisPositions(n: number, p: number, s: number): number[] {
  const out: number[] = [];
  for (let x = 0; x + p <= n; x += s) out.push(x);
  if (out[out.length - 1] !== n - p) out.push(n - p);
  return out;
}

/** Per-channel mean of one input tensor: the neutral fill, so a patch removes structure, not brightness. */
function channelMeans(x: Float32Array, input: OcclusionInput): Float64Array {
  const { width, height, channels, layout } = input;
  const plane = width * height;
  const sums = new Float64Array(channels);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < channels; k++) sums[k] = (sums[k] as number) + (x[layout === 'NCHW' ? k * plane + p : p * channels + k] as number);
  }
  return sums.map((s) => s / plane);
}

function occlude(x: Float32Array, input: OcclusionInput, means: Float64Array, c0: number, r0: number, p: number): Float32Array {
  const { width, height, channels, layout } = input;
  const plane = width * height;
  const out = x.slice();
  for (let r = r0; r < r0 + p; r++) {
    for (let c = c0; c < c0 + p; c++) {
      const pixel = r * width + c;
      for (let k = 0; k < channels; k++) out[layout === 'NCHW' ? k * plane + pixel : pixel * channels + k] = means[k] as number;
    }
  }
  return out;
}

/** The largest 4-connected component of `mask` (ties: the first in raster order), as pixel indices. */
export function largestComponent(mask: Uint8Array, width: number, height: number): number[] {
  const seen = new Uint8Array(mask.length);
  let best: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || seen[start] === 1) continue;
    const component: number[] = [];
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop() as number;
      component.push(i);
      const r = Math.floor(i / width);
      const c = i - r * width;
      const next = [c > 0 ? i - 1 : -1, c < width - 1 ? i + 1 : -1, r > 0 ? i - width : -1, r < height - 1 ? i + width : -1];
      for (const j of next) {
        if (j >= 0 && mask[j] === 1 && seen[j] === 0) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    if (component.length > best.length) best = component;
  }
  return best;
}

/**
 * Convex hull (Andrew's monotone chain) of the corners of `pixels`, as a closed polygon in pixel-edge coordinates
 * [column, row], clockwise on screen (rows grow downwards), first point repeated last.
 */
export function pixelHull(pixels: readonly number[], width: number): Array<[number, number]> {
  const corners = new Map<string, [number, number]>();
  for (const i of pixels) {
    const r = Math.floor(i / width);
    const c = i - r * width;
    for (const [x, y] of [[c, r], [c + 1, r], [c, r + 1], [c + 1, r + 1]] as const) corners.set(`${x},${y}`, [x, y]);
  }
  const pts = [...corners.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return [...pts, ...(pts[0] === undefined ? [] : [pts[0]])];
  const cross = (o: [number, number], a: [number, number], b: [number, number]): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list: Array<[number, number]>): Array<[number, number]> => {
    const h: Array<[number, number]> = [];
    for (const p of list) {
      while (h.length >= 2 && cross(h[h.length - 2] as [number, number], h[h.length - 1] as [number, number], p) <= 0) h.pop();
      h.push(p);
    }
    h.pop();
    return h;
  };
  const hull = [...half(pts), ...half([...pts].reverse())];
  return [...hull, hull[0] as [number, number]];
}

/** Computes the occlusion map of one preprocessed slice `x` with `score` (the model that flagged it). */
export async function occlusionMap(x: Float32Array, input: OcclusionInput, score: ScoreBatch, options: OcclusionOptions = {}): Promise<OcclusionMap> {
  const { width, height, channels } = input;
  if (x.length !== width * height * channels) throw new RangeError(`input holds ${x.length} values, ${width}×${height}×${channels} expected`);
  const side = Math.min(width, height);
  const patch = Math.max(1, Math.round(side * (options.patchFraction ?? 1 / 8)));
  let stride = Math.max(1, Math.round(side * (options.strideFraction ?? 1 / 16)));
  const maxPositions = options.maxPositions ?? 256;
  const batch = options.batch ?? 64;
  const out = options.outputIndex ?? 0;
  if (!(maxPositions >= 1 && batch >= 1)) throw new RangeError('maxPositions and batch must be at least 1');
  let cols = axisPositions(width, patch, stride);
  let rows = axisPositions(height, patch, stride);
  while (cols.length * rows.length > maxPositions) {
    stride += 1;
    cols = axisPositions(width, patch, stride);
    rows = axisPositions(height, patch, stride);
  }
  const positions = rows.flatMap((r) => cols.map((c) => [c, r] as const));
  const means = channelMeans(x, input);
  const scores: number[] = [];
  // The baseline goes through the same call as the first occluded copies: same engine, same batch path.
  for (let first = -1; first < positions.length; first += batch) {
    options.signal?.throwIfAborted();
    const images: Float32Array[] = [];
    for (let k = first; k < Math.min(first + batch, positions.length); k++) {
      if (k < 0) images.push(x);
      else {
        const [c, r] = positions[k] as readonly [number, number];
        images.push(occlude(x, input, means, c, r, patch));
      }
    }
    const result = await score(images);
    for (const row of result.probabilities) scores.push(row[out] ?? NaN);
  }
  const baseline = scores[0] as number;
  const sum = new Float64Array(width * height);
  const count = new Uint16Array(width * height);
  let maxDrop = -Infinity;
  positions.forEach(([c0, r0], k) => {
    const drop = baseline - (scores[k + 1] as number);
    maxDrop = Math.max(maxDrop, drop);
    for (let r = r0; r < r0 + patch; r++) {
      for (let c = c0; c < c0 + patch; c++) {
        sum[r * width + c] = (sum[r * width + c] as number) + drop;
        count[r * width + c] = (count[r * width + c] as number) + 1;
      }
    }
  });
  const pixelDrop = new Float32Array(width * height);
  let top = 0;
  for (let i = 0; i < pixelDrop.length; i++) {
    const n = count[i] as number;
    pixelDrop[i] = n === 0 ? 0 : (sum[i] as number) / n;
    top = Math.max(top, pixelDrop[i] as number);
  }
  const common = { baseline, maxDrop, pixelDrop, patch, stride, positions: positions.length, inferences: positions.length + 1 };
  if (!(top > 0)) return { ...common, region: undefined, regionPixels: 0 };
  const cut = top * (options.threshold ?? 0.5);
  const mask = new Uint8Array(pixelDrop.length);
  for (let i = 0; i < mask.length; i++) mask[i] = (pixelDrop[i] as number) >= cut ? 1 : 0;
  const component = largestComponent(mask, width, height);
  return { ...common, region: pixelHull(component, width), regionPixels: component.length };
}
