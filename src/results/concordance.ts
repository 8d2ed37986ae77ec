/**
 * AI versus report, per finding: `concordant` (both say present, or both absent/silent), `ai-only` (the AI
 * flagged it, the report is silent or negative), `report-only` (the report has it, the AI did not flag it).
 * Derived on read from the stored AI results and the newest report, so it is never stale.
 */

export const CONCORDANCE = ['concordant', 'ai-only', 'report-only'] as const;
export type ConcordanceState = (typeof CONCORDANCE)[number];

export interface CodedFinding {
  code: string;
  scheme: string;
}

export interface AiFlag extends CodedFinding {
  meaning: string;
  flagged: boolean;
  probability: number;
  modelId: string;
}

export interface ReportMention extends CodedFinding {
  label: string;
  certainty: 'present' | 'absent' | 'uncertain';
}

export interface ConcordanceItem {
  code: string;
  scheme: string;
  meaning: string;
  state: ConcordanceState;
  ai: { flagged: boolean; probability: number; modelId: string };
  /** What the report says; 'not-mentioned' when it is silent. */
  report: 'present' | 'absent' | 'uncertain' | 'not-mentioned';
}

/** One item per finding the AI looks for. An uncertain mention counts as present (it must be followed up). */
export function compareFindings(ai: readonly AiFlag[], report: readonly ReportMention[]): ConcordanceItem[] {
  return ai.map((a) => {
    const mentions = report.filter((r) => r.code === a.code && r.scheme === a.scheme);
    const said = mentions.some((m) => m.certainty === 'present')
      ? 'present'
      : mentions.some((m) => m.certainty === 'uncertain')
        ? 'uncertain'
        : mentions.length > 0
          ? 'absent'
          : 'not-mentioned';
    const reportPositive = said === 'present' || said === 'uncertain';
    const state: ConcordanceState = a.flagged === reportPositive ? 'concordant' : a.flagged ? 'ai-only' : 'report-only';
    return { code: a.code, scheme: a.scheme, meaning: a.meaning, state, ai: { flagged: a.flagged, probability: a.probability, modelId: a.modelId }, report: said };
  });
}
