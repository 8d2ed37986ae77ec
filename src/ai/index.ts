/** Public API of the image-AI area: model specs, the registry, classifiers, runners and their provenance. */
export {
  modelSpecSchema,
  loadModelSpecFile,
  resolveModelPaths,
  appliesTo,
  type ModelSpec,
  type ModelSpecInput,
  type ModelSpecProblem,
  type ModelSpecResult,
  type ExecutionProvider,
  type ModelFormat,
  type InstanceTraits,
} from './model-spec.js';
export { ModelRegistry, type ModelRegistryOptions, type ModelStatus } from './model-registry.js';
export { Classifier, type ClassifierOptions, type Classification, type Provenance } from './classifier.js';
export { type OnnxRunnerOptions } from './onnx-runner.js';
export { type TfjsRunnerOptions } from './tfjs-runner.js';
export { type LayerShape } from './model-flops.js';
export { type Engine, type InferenceRunner, type RunnerInfo } from './runner.js';
export { occlusionMap, type OcclusionInput, type OcclusionMap, type OcclusionOptions, type ScoreBatch } from './occlusion-map.js';
