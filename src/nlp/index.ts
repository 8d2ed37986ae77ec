// Public API of the report NLP area: load the NER model, analyse report text, run the JSONL batch CLI.
export {
  analyzeReport, DEFAULT_MAX_REPORT_CHARS, DEFAULT_TIME_BUDGET_MS, type AnalyzeOptions,
} from './report-analyzer.js';
/** Version of the report analysis (models/report-ner 1.0.0 and the rules in this folder): bump when either changes. */
export const REPORT_NLP_VERSION = '1.0.0';
export { loadNerModel, DEFAULT_MODEL_DIR, type NerModel, type NerModelOptions, type TagOptions } from './ner-model.js';
export { runNlpJsonl, type JsonlOptions, type JsonlSummary } from './jsonl-cli.js';
export { CONCEPTS, CHEXPERT_OBSERVATIONS, conceptById, type Concept, type ChexpertObservation } from './concepts.js';
export { findMeasurements, type Measurement } from './measurements.js';
export { splitSentences, type Sentence } from './sentences.js';
export type {
  Certainty, CodeScheme, Laterality, ModelEntity, ReportAnalysis, ReportFinding, Span, TargetResult,
} from './types.js';
