/**
 * Where on an image a finding is: the region an image model reacted to (its occlusion map), as an SR writes it
 * (TID 1410 Image Region, `sr/tid1500.ts`) and other result objects may draw it.
 */

/**
 * A closed polygon on one image (one frame of a multi-frame image). `points` are [column, row] in the stored image's
 * pixel-edge coordinates, sub-pixel: (0, 0) is the top-left corner of the top-left pixel, (Columns, Rows) the
 * bottom-right corner of the bottom-right pixel (PS3.3 C.18.6.1.2 SCOORD, image-relative as C.10.5.1.2); the first
 * point is repeated last (PS3.3 C.18.6.1.2: a POLYLINE whose first and last vertices are equal is closed).
 */
export interface FindingRegion {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  /** 1-based frame of a multi-frame image; absent for a single-frame image. */
  readonly frameNumber?: number;
  readonly points: ReadonlyArray<readonly [column: number, row: number]>;
  /** The model's probability for this image (frame), in [0, 1]. */
  readonly probability: number;
  /** How far the probability fell, at most, when a patch inside the region was hidden (occlusion map), in [0, 1]. */
  readonly scoreDrop: number;
}
