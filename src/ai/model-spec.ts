/** The typed description of an image model (the config's `models:` entry), its zod schema, and the file loader. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../errors.js';

/** DICOM UIDs as the spool accepts them (docs/architecture.md, durability): dotted digits, at most 64 characters. */
const uid = z
  .string()
  .max(64, 'a DICOM UID is at most 64 characters')
  .regex(/^[0-9]+(\.[0-9]+)*$/, 'expected a DICOM UID such as 1.2.840.10008.5.1.4.1.1.2');

/** Execution providers, best first. `cuda` is onnxruntime's CUDA provider, or tfjs-node-gpu for TF.js models. */
export const EXECUTION_PROVIDERS = ['cuda', 'cpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

export const MODEL_FORMATS = ['onnx', 'tfjs'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

const inputSchema = z.strictObject({
  width: z.number().int().min(1).max(4096),
  height: z.number().int().min(1).max(4096),
  channels: z.number().int().min(1).max(4),
  /** Tensor layout the model expects; TF.js layers models are always NHWC (channels_last). */
  layout: z.enum(['NHWC', 'NCHW']).default('NHWC'),
  /** VOI window applied to Hounsfield units before normalisation (plain linear, see the model card). */
  window: z.strictObject({ center: z.number(), width: z.number().positive() }),
  /** Range the windowed values are mapped to. */
  normalize: z.strictObject({ min: z.number(), max: z.number() }).refine((n) => n.max > n.min, 'normalize.max must be above normalize.min'),
  /** Resampling to width × height; bilinear with half-pixel centres is the only one implemented. */
  resize: z.enum(['bilinear']).default('bilinear'),
});

/** Zod schema of one model entry; `z.strictObject` throughout, so a misspelt key fails with its path. */
export const modelSpecSchema = z.strictObject({
  /** Stable id: part of result UIDs, metrics and log lines. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an id is 1–64 letters, digits, ".", "_" or "-"'),
  version: z.string().min(1).max(64),
  /** The model file (model.onnx or a TF.js model.json); relative paths are resolved by whoever loads the entry. */
  path: z.string().min(1),
  format: z.enum(MODEL_FORMATS),
  /** Optional TF.js copy of the same weights: used to cross-check, and as the engine if onnxruntime cannot load. */
  tfjsPath: z.string().min(1).optional(),
  appliesTo: z.strictObject({
    /** DICOM Modality (0008,0060) values, e.g. CT. */
    modalities: z.array(z.string().min(1).max(16)).min(1),
    /** Body Part Examined (0018,0015) values; "" matches an instance that has none. */
    bodyParts: z.array(z.string().max(64)).min(1),
    sopClasses: z.array(uid).min(1),
  }),
  input: inputSchema,
  output: z.strictObject({
    /** One label per output column, in the model's order. */
    labels: z.array(z.string().min(1)).min(1),
    /** Probability at or above which a finding is flagged (chosen on validation data: see the model card). */
    threshold: z.number().min(0).max(1),
  }),
  /** Coded finding reported when flagged, e.g. SCT 786838002 "Pulmonary nodule". */
  finding: z.strictObject({ code: z.string().min(1), scheme: z.string().min(1), meaning: z.string().min(1) }),
  /** Names of configured destinations that receive this model's results; absent means all. */
  destinations: z.array(z.string().min(1)).optional(),
  /** Execution providers, best first; absent means the engine's default (see runner-factory.ts). */
  providers: z.array(z.enum(EXECUTION_PROVIDERS)).min(1).optional(),
});

/** One image model as the gateway config carries it. */
export type ModelSpec = z.infer<typeof modelSpecSchema>;
/** What a config file may write (defaults not yet applied). */
export type ModelSpecInput = z.input<typeof modelSpecSchema>;

export interface ModelSpecProblem {
  /** Dotted key path, e.g. `input.window.width`; empty for the whole entry. */
  path: string;
  reason: string;
}

export type ModelSpecResult = { ok: true; spec: ModelSpec } | { ok: false; problems: ModelSpecProblem[] };

/** Validates raw data (parsed JSON/YAML) against the schema; lists every problem with its key path. */
export function validateModelSpec(raw: unknown): ModelSpecResult {
  const parsed = modelSpecSchema.safeParse(raw);
  if (parsed.success) return { ok: true, spec: parsed.data };
  const problems = parsed.error.issues.flatMap((issue): ModelSpecProblem[] => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: base === '' ? key : `${base}.${key}`, reason: 'unknown key' }));
    }
    return [{ path: base, reason: issue.message }];
  });
  return { ok: false, problems };
}

/**
 * Reads a model-config.json (like `models/<id>/model-config.json`), validates it, resolves `path` and `tfjsPath`
 * against its folder, and checks that the model card is there. Throws GW_ERR_CONFIG_INVALID naming every problem.
 */
export function loadModelSpecFile(file: string): ModelSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `cannot read model config ${file}: ${(err as Error).message}`, {
      context: { file },
      cause: err,
    });
  }
  const result = validateModelSpec(raw);
  if (!result.ok) {
    const lines = result.problems.map((p) => `  ${p.path === '' ? '(entry)' : p.path}: ${p.reason}`);
    throw new GatewayError('GW_ERR_CONFIG_INVALID', `invalid model config ${file}:\n${lines.join('\n')}`, { context: { file } });
  }
  const spec = resolveModelPaths(result.spec, dirname(resolve(file)));
  assertModelCard(spec);
  return spec;
}

/** The spec with `path` and `tfjsPath` made absolute against `baseDir` (a config file's or model folder). */
export function resolveModelPaths(spec: ModelSpec, baseDir: string): ModelSpec {
  const abs = (p: string): string => (isAbsolute(p) ? p : join(baseDir, p));
  return { ...spec, path: abs(spec.path), ...(spec.tfjsPath === undefined ? {} : { tfjsPath: abs(spec.tfjsPath) }) };
}

/**
 * Finds the model card that must travel with every model: `MODEL_CARD.md` in the model file's folder or the one
 * above it (a TF.js copy lives in `<model>/tfjs/`). Returns its path; throws GW_ERR_CONFIG_INVALID if absent,
 * because a model nobody can look up (data, metrics, intended use) must not produce results.
 */
export function assertModelCard(spec: Pick<ModelSpec, 'id' | 'path'>): string {
  const here = dirname(resolve(spec.path));
  const candidates = [join(here, 'MODEL_CARD.md'), join(dirname(here), 'MODEL_CARD.md')];
  const found = candidates.find((c) => existsSync(c));
  if (found !== undefined) return found;
  throw new GatewayError(
    'GW_ERR_CONFIG_INVALID',
    `model ${spec.id} has no model card: put MODEL_CARD.md (data, metrics, intended use) in ${here} (looked for ${candidates.join(' and ')})`,
    { context: { model: spec.id, file: spec.path } },
  );
}

/** Values per input image: width × height × channels. */
export function inputSize(spec: Pick<ModelSpec, 'input'>): number {
  return spec.input.width * spec.input.height * spec.input.channels;
}

/** The tensor shape for n images in the spec's layout. */
export function inputShape(spec: Pick<ModelSpec, 'input'>, n: number): [number, number, number, number] {
  const { width, height, channels, layout } = spec.input;
  return layout === 'NHWC' ? [n, height, width, channels] : [n, channels, height, width];
}

/** What an instance offers for model selection: its Modality, Body Part Examined and SOP Class UID. */
export interface InstanceTraits {
  modality: string;
  bodyPart?: string;
  sopClassUid: string;
}

/** Whether a model applies to an instance: every appliesTo list must match (body part compared case-blind). */
export function appliesTo(spec: Pick<ModelSpec, 'appliesTo'>, instance: InstanceTraits): boolean {
  const { modalities, bodyParts, sopClasses } = spec.appliesTo;
  const bodyPart = (instance.bodyPart ?? '').trim().toUpperCase();
  return (
    modalities.includes(instance.modality) &&
    sopClasses.includes(instance.sopClassUid) &&
    bodyParts.some((b) => b.toUpperCase() === bodyPart)
  );
}
