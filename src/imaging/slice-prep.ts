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

export async function prepareSlices(path: string, spec: TensorSpec): Promise<PreparedSlices> {
  const decoded = await decodeFrames(await readFile(path));
  if (decoded.kind !== 'decoded') return decoded;
  const size = tensorSize(spec);
  return {
    kind: 'prepared',
    rows: decoded.meta.rows,
    columns: decoded.meta.columns,
    tensors: decoded.frames.map((_, f) => preprocessForModel(decoded, spec, { frame: f, out: new Float32Array(size) })),
  };
}
