/** Reads a TF.js layers model (model.json + weight shards) from disk into memory: tfjs has no file:// loader without tfjs-node. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';

/** A weight as listed in model.json's weightsManifest (the subset tfjs needs). */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
}

/** What `tf.io.fromMemory` takes for a layers model. */
export interface LayersModelFiles {
  modelTopology: object;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
  /** Bytes read, for the load log. */
  bytes: number;
}

/**
 * Reads `model.json` and its shards, in manifest order. Shard paths must stay inside the model's folder: a
 * model.json is outside input, so `../` or absolute paths are refused rather than followed.
 */
export function readLayersModelFiles(modelJsonPath: string): LayersModelFiles {
  const json: unknown = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
  if (!isObject(json) || !isObject(json.modelTopology) || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${modelJsonPath} is not a TF.js layers model (needs modelTopology and weightsManifest)`);
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new Error(`${modelJsonPath} has format "${String(json.format)}": only TF.js layers models are supported (graph models are not)`);
  }
  const dir = dirname(modelJsonPath);
  const weightSpecs: WeightSpec[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest as unknown[]) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new Error(`${modelJsonPath}: a weightsManifest entry lacks paths or weights`);
    }
    for (const p of group.paths as unknown[]) {
      if (typeof p !== 'string' || isAbsolute(p) || normalize(p).startsWith('..')) {
        throw new Error(`${modelJsonPath}: weight shard path ${JSON.stringify(p)} must be a file inside the model folder`);
      }
      shards.push(readFileSync(join(dir, p)));
    }
    for (const w of group.weights as unknown[]) weightSpecs.push(toWeightSpec(w, modelJsonPath));
  }
  const all = Buffer.concat(shards);
  // A fresh ArrayBuffer of exactly the weights: Buffer.concat may hand back a slice of Node's shared pool.
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return { modelTopology: json.modelTopology, weightSpecs, weightData, bytes: all.byteLength };
}

function toWeightSpec(w: unknown, file: string): WeightSpec {
  const dtypes = ['float32', 'int32', 'bool', 'string', 'complex64'] as const;
  if (
    isObject(w) &&
    typeof w.name === 'string' &&
    Array.isArray(w.shape) &&
    w.shape.every((d) => Number.isInteger(d)) &&
    dtypes.some((d) => d === w.dtype)
  ) {
    return { name: w.name, shape: w.shape as number[], dtype: w.dtype as WeightSpec['dtype'] };
  }
  throw new Error(`${file}: malformed weight entry ${JSON.stringify(w).slice(0, 120)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
