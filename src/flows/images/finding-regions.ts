/**
 * Where a flagged finding is: for the few best-scoring slices, an occlusion map with the model that flagged them
 * (`ai/occlusion-map.ts`), its region mapped from model input back to the stored image's pixels
 * (`imaging/input-to-image.ts`), ready for the SR (TID 1410) and any other result that draws it.
 */
import { occlusionMap, type ScoreBatch } from '../../ai/index.js';
import { inputToImagePoints, type TensorSpec } from '../../imaging/index.js';
import type { FindingRegion } from '../../results/index.js';

/** Slices that get a region: the best few, each of which must itself reach the threshold. */
export const REGION_SLICES = 3;

/** A slice kept from the scan for its region: its tensor and where it came from. */
export interface CandidateSlice {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  /** 0-based frame index in the instance. */
  readonly frame: number;
  /** Frames in the instance: a frame number is cited only for a multi-frame image. */
  readonly frames: number;
  readonly rows: number;
  readonly columns: number;
  readonly probability: number;
  readonly tensor: Float32Array;
}

/** Keeps the `REGION_SLICES` best slices seen so far (ties: the earlier one), without holding every tensor. */
export class BestSlices {
  private readonly kept: CandidateSlice[] = [];

  offer(slice: CandidateSlice): void {
    if (this.kept.length === REGION_SLICES && slice.probability <= (this.kept[this.kept.length - 1] as CandidateSlice).probability) return;
    // The tensor may be a view of a batch buffer that is reused: keep a copy.
    this.kept.push({ ...slice, tensor: slice.tensor.slice() });
    this.kept.sort((a, b) => b.probability - a.probability);
    this.kept.length = Math.min(this.kept.length, REGION_SLICES);
  }

  get slices(): readonly CandidateSlice[] {
    return this.kept;
  }
}

export interface RegionCost {
  readonly slices: number;
  readonly inferences: number;
  readonly ms: number;
}

/** Regions of the slices at or above `threshold`, best first; slices whose map shows no drop get none. */
export async function findingRegions(
  slices: readonly CandidateSlice[],
  spec: TensorSpec,
  threshold: number,
  score: ScoreBatch,
  signal?: AbortSignal,
): Promise<{ regions: FindingRegion[]; cost: RegionCost }> {
  const started = performance.now();
  const regions: FindingRegion[] = [];
  let inferences = 0;
  let mapped = 0;
  for (const s of slices) {
    if (s.probability < threshold) continue;
    const map = await occlusionMap(s.tensor, spec, score, signal === undefined ? {} : { signal });
    inferences += map.inferences;
    mapped += 1;
    if (map.region === undefined) continue;
    regions.push({
      sopInstanceUid: s.sopInstanceUid,
      sopClassUid: s.sopClassUid,
      ...(s.frames > 1 ? { frameNumber: s.frame + 1 } : {}),
      points: inputToImagePoints(map.region, spec, { rows: s.rows, columns: s.columns }),
      probability: s.probability,
      scoreDrop: Math.max(0, Math.min(1, map.maxDrop)),
    });
  }
  return { regions, cost: { slices: mapped, inferences, ms: performance.now() - started } };
}
