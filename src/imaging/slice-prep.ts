/**
 * One instance from file to model input: decode every frame and preprocess each to a tensor. The unit of work of
 * the preparation workers (`slice-prep-pool.ts`); pure, so it also runs inline.
 */
import { readFile } from 'node:fs/promises';
import { decodeFrames } from './decode-frames.js';
import { preprocessForModel, tensorSize, type TensorSpec } from './to-tensor.js';
import type { UndecodableCause } from './types.js';

export type PreparedSlices =
  /**
   * One tensor per frame, in frame order (tensor k is frame k + 1); `rows` × `columns` is the stored image they
   * were resized from, to map a position on a tensor back onto the image (`input-to-image.ts`).
   */
  | { kind: 'prepared'; tensors: Float32Array[]; rows: number; columns: number }
  | { kind: 'undecodable'; cause: UndecodableCause; reason: string; transferSyntaxUid: string | undefined };

/**
 * `frame` (0-based) preprocesses that frame only, the one tensor returned (the summary image wants one frame of a
 * multi-frame image at display size, not all of them); absent: every frame. A frame past the end is `malformed`.
 */
export async function prepareSlices(path: string, spec: TensorSpec, frame?: number): Promise<PreparedSlices> {
  const decoded = await decodeFrames(await readFile(path));
  if (decoded.kind !== 'decoded') return decoded;
  const size = tensorSize(spec);
  const image = { rows: decoded.meta.rows, columns: decoded.meta.columns };
  if (frame !== undefined) {
    if (!Number.isInteger(frame) || frame < 0 || frame >= decoded.frames.length) {
      return { kind: 'undecodable', cause: 'malformed', reason: `frame ${frame + 1} asked, ${decoded.frames.length} decoded`, transferSyntaxUid: decoded.meta.transferSyntaxUid };
    }
    return { kind: 'prepared', ...image, tensors: [preprocessForModel(decoded, spec, { frame, out: new Float32Array(size) })] };
  }
  return { kind: 'prepared', ...image, tensors: decoded.frames.map((_, f) => preprocessForModel(decoded, spec, { frame: f, out: new Float32Array(size) })) };
}
