// Public API of the report NLP area: load the NER model, analyse report text, run the JSONL batch CLI.
export {
  analyzeReport,
  type AnalyzeOptions,
} from './report-analyzer.js';
/** Version of the report analysis (models/report-ner 1.0.0 and the rules in this folder): bump when either changes. */
export const REPORT_NLP_VERSION = '1.0.0';
export { loadNerModel, type NerModel, type NerModelOptions, type TagOptions } from './ner-model.js';
export { runNlpJsonl, type JsonlOptions, type JsonlSummary } from './jsonl-cli.js';
export { type Concept, type ChexpertObservation } from './concepts.js';
export { type Measurement } from './measurements.js';
export { type Sentence } from './sentences.js';
export type {
  Certainty, CodeScheme, Laterality, ModelEntity, ReportAnalysis, ReportFinding, Span, TargetResult,
} from './types.js';
