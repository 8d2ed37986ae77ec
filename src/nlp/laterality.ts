// Laterality words (left, right, bilateral; 左, 右, 双, 两) and where they apply to a finding.
import type { Laterality } from './types.js';

/** A laterality cue found in text. */
export interface LateralityCue {
  start: number;
  end: number;
  laterality: Laterality;
}

// English: whole words; "bibasilar", "biapical", "both" and "bilaterally" mean both sides.
const EN = /\b(?:(bilateral(?:ly)?|bibasilar|bibasal|biapical|both)|(left|lt)|(right|rt))\b/giu;
// Chinese: 双/两 before a side-able structure; 左/右 anywhere (左侧, 右肺, 左下肺 …). 两 also means "two", so only
// count it before 侧, 肺, 下肺, 上肺, 中肺 or 肺门.
const ZH = /(双侧?|两侧|两(?=[上中下]?肺|肺门))|(左)|(右)/gu;

/** Every laterality cue in the text, in order. */
export function findLateralityCues(text: string): LateralityCue[] {
  const out: LateralityCue[] = [];
  for (const re of [EN, ZH]) {
    for (const m of text.matchAll(re)) {
      const laterality: Laterality = m[1] !== undefined ? 'bilateral' : m[2] !== undefined ? 'left' : 'right';
      const start = m.index ?? 0;
      out.push({ start, end: start + m[0].length, laterality });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Laterality stated inside a phrase (an anatomy or finding phrase), or null; left and right together → bilateral. */
export function lateralityOf(phrase: string): Laterality | null {
  const cues = findLateralityCues(phrase);
  if (cues.length === 0) return null;
  const kinds = new Set(cues.map((c) => c.laterality));
  if (kinds.has('bilateral') || (kinds.has('left') && kinds.has('right'))) return 'bilateral';
  return (cues[0] as LateralityCue).laterality;
}
