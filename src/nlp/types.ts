// Shared types of the report NLP: certainty, laterality, coded findings, analysis results.

/** ConText-style certainty of a mention (CheXpert: positive, negative, uncertain). */
export const CERTAINTIES = ['present', 'absent', 'uncertain'] as const;
export type Certainty = (typeof CERTAINTIES)[number];

export const LATERALITIES = ['left', 'right', 'bilateral'] as const;
export type Laterality = (typeof LATERALITIES)[number];

/** Coding schemes: SNOMED CT, RadLex, or a gateway-local code where no public code could be verified. */
export type CodeScheme = 'SCT' | 'RADLEX' | 'LOCAL';

/** Entity types the NER model tags (BIO labels in models/report-ner/config.json). */
export const ENTITY_TYPES = ['FINDING', 'ANATOMY', 'MEASUREMENT', 'NEGATION', 'UNCERTAINTY'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** A half-open character range [start, end) into the analysed text. */
export type Span = readonly [number, number];

/** One entity found by the model, with its character span in the original text. */
export interface ModelEntity {
  type: EntityType;
  start: number;
  end: number;
  text: string;
}

/** One finding of a report, normalised to a coded concept. */
export interface ReportFinding {
  /** Concept id of src/nlp/concepts.ts, e.g. 'pleural-effusion'. */
  concept: string;
  code: string;
  scheme: CodeScheme;
  label: string;
  certainty: Certainty;
  /** Anatomy phrase as written in the report (e.g. "right upper lobe", "右肺上叶"), or null. */
  anatomy: string | null;
  laterality: Laterality | null;
  /** Largest dimension of the nearest measurement in the same clause, in millimetres. */
  sizeMm: number | null;
  /** Where the finding's words are in the input text: [start, end), UTF-16 code units. */
  span: Span;
  text: string;
  /** Which part found it: the lexicon ('rules'), the NER model ('model'), or both. */
  source: 'rules' | 'model' | 'both';
  /** The words that made it absent or uncertain ("no", "versus", 未见, 可能), or null when present. */
  cue: string | null;
}

/** Certainty of a caller-given term; 'not-mentioned' when the term does not occur in the text. */
export interface TargetResult {
  term: string;
  certainty: Certainty | 'not-mentioned';
  span: Span | null;
}

export interface ReportAnalysis {
  findings: ReportFinding[];
  targets?: TargetResult[];
  /** Present when the text was longer than the cap: only its first analysedChars were read. */
  truncated?: { analysedChars: number; totalChars: number };
}
