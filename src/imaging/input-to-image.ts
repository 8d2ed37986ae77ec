/**
 * Model input → stored image coordinates: the inverse of the resize in `to-tensor.ts` (`resize.ts`), for drawing
 * what a model reacted to on the image it came from. Both sides use pixel-edge coordinates, (0, 0) at the top-left
 * corner of the top-left pixel and (Columns, Rows) at the bottom-right corner of the bottom-right one: the SR SCOORD
 * convention (PS3.3 C.18.6.1.2, which refers to the image-relative coordinates of C.10.5.1.2). The resize scales each
 * axis on its own (the aspect ratio is not kept) and flips nothing, so the map is one affine function per axis.
 */
import type { TensorSpec } from './to-tensor.js';

/** The stored image a tensor was made from. */
export interface SourceGrid {
  readonly rows: number;
  readonly columns: number;
}

/**
 * One axis: input edge coordinate `x` on a grid of `nOut` → stored edge coordinate on `nIn` pixels.
 * - alignCorners false: input pixel centre i + ½ samples stored position (i + ½)·nIn/nOut − ½ (index space), whose
 *   edge coordinate is (i + ½)·nIn/nOut: so x ↦ x·nIn/nOut.
 * - alignCorners true: i + ½ samples i·(nIn − 1)/(nOut − 1), edge coordinate that + ½: x ↦ (x − ½)·(nIn − 1)/(nOut − 1) + ½.
 * Clamped to [0, nIn]: the resize clamps its edge samples the same way.
 */
export function inputToImageAxis(x: number, nOut: number, nIn: number, alignCorners: boolean): number {
  const y = alignCorners ? (nOut > 1 ? (x - 0.5) * ((nIn - 1) / (nOut - 1)) + 0.5 : nIn / 2) : x * (nIn / nOut);
  return Math.min(Math.max(y, 0), nIn);
}

/** Maps [column, row] points in model-input edge coordinates to the stored image's [column, row] (sub-pixel). */
export function inputToImagePoints(
  points: ReadonlyArray<readonly [number, number]>,
  spec: Pick<TensorSpec, 'width' | 'height' | 'alignCorners'>,
  image: SourceGrid,
): Array<[number, number]> {
  if (!(image.rows > 0 && image.columns > 0)) throw new RangeError(`image grid ${image.columns}×${image.rows}`);
  const align = spec.alignCorners ?? false;
  return points.map(([c, r]) => [inputToImageAxis(c, spec.width, image.columns, align), inputToImageAxis(r, spec.height, image.rows, align)]);
}
