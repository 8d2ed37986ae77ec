/** All configured image models: loaded once at start, looked up per instance, reported to /readyz, closed on stop. */
import { describeError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { Classifier, type ClassifierOptions } from './classifier.js';
import { appliesTo, assertModelCard, type InstanceTraits, type ModelSpec } from './model-spec.js';
import type { Engine } from './runner.js';

/** One model's line in /readyz. */
export type ModelStatus =
  | {
      id: string;
      version: string;
      state: 'loaded';
      engine: Engine;
      engineVersion: string;
      provider: 'cpu' | 'cuda';
      device: string;
      /** Why a better provider was not used, e.g. "CUDA provider not available: …". */
      fallback?: string;
      loadMs: number;
    }
  | { id: string; version: string; state: 'failed'; error: string };

export type ModelRegistryOptions = ClassifierOptions;

/**
 * Loads every model, one after another (each already uses all cores), and keeps going past a failure: a bad
 * model shows as `failed` in status() while the rest of the gateway, and the other models, keep working.
 */
export class ModelRegistry {
  private constructor(
    private readonly loaded: Map<string, Classifier>,
    private readonly statuses: ModelStatus[],
  ) {}

  /** `specs` must have absolute (or cwd-relative) paths: see resolveModelPaths / loadModelSpecFile. */
  static async load(specs: readonly ModelSpec[], options: ModelRegistryOptions = {}): Promise<ModelRegistry> {
    const log = (options.logger ?? silentLogger).child({ component: 'ai' });
    const loaded = new Map<string, Classifier>();
    const statuses: ModelStatus[] = [];
    for (const spec of specs) {
      const started = performance.now();
      try {
        if (loaded.has(spec.id) || statuses.some((s) => s.id === spec.id)) throw new Error(`model id ${spec.id} is configured twice`);
        assertModelCard(spec);
        const classifier = await Classifier.create(spec, options);
        const { info } = classifier;
        const loadMs = Math.round(performance.now() - started);
        loaded.set(spec.id, classifier);
        statuses.push({
          id: spec.id,
          version: spec.version,
          state: 'loaded',
          engine: info.engine,
          engineVersion: info.version,
          provider: info.provider,
          device: info.device,
          ...(info.fallback === undefined ? {} : { fallback: info.fallback }),
          loadMs,
        });
        log.info('model loaded', { modelId: spec.id, modelVersion: spec.version, engine: info.engine, provider: info.provider, device: info.device, engineVersion: info.version, loadMs });
      } catch (err) {
        statuses.push({ id: spec.id, version: spec.version, state: 'failed', error: describeError(err) });
        log.error('model failed to load', { modelId: spec.id, modelVersion: spec.version, error: describeError(err) });
      }
    }
    return new ModelRegistry(loaded, statuses);
  }

  /** The loaded model with this id, if it loaded. */
  get(id: string): Classifier | undefined {
    return this.loaded.get(id);
  }

  /** Loaded models whose appliesTo matches the instance (Modality, Body Part Examined, SOP Class UID). */
  applicableTo(instance: InstanceTraits): Classifier[] {
    return [...this.loaded.values()].filter((c) => appliesTo(c.spec, instance));
  }

  /** Per-model state for /readyz, in config order; a model whose worker died since loading shows as failed. */
  status(): ModelStatus[] {
    return this.statuses.map((s): ModelStatus => {
      const error = s.state === 'loaded' ? this.loaded.get(s.id)?.error : undefined;
      return error === undefined ? { ...s } : { id: s.id, version: s.version, state: 'failed', error };
    });
  }

  /** True when every configured model loaded and still runs. */
  get ready(): boolean {
    return this.status().every((s) => s.state === 'loaded');
  }

  /** Stops every model's threads. */
  async close(): Promise<void> {
    await Promise.all([...this.loaded.values()].map((c) => c.close()));
    this.loaded.clear();
  }
}
