// Finds concept mentions in text with the lexicon of concepts.ts, and normalises free finding phrases (the NER
// model's spans) to a concept, tolerating small misspellings.
import { CONCEPTS, NOT_FINDINGS_EN, NOT_FINDINGS_ZH, type Concept } from './concepts.js';
import { Occupancy } from './sorted.js';

/** A stretch of text that names one or more concepts (液气胸 names two). */
export interface ConceptMention {
  start: number;
  end: number;
  text: string;
  concepts: Concept[];
  /** True when the phrase itself says the finding is normal/absent ("heart size is normal", 心影不大). */
  statesNormal: boolean;
}

interface Rule {
  re: RegExp;
  concept: Concept | null; // null: a phrase that is not a finding (blocks shorter matches)
  normal: boolean;
}

const word = (p: string): string => `(?<![\\p{L}\\p{N}])(?:${p})(?![\\p{L}\\p{N}])`;
const RULES: Rule[] = [];
for (const c of CONCEPTS) {
  for (const p of c.en) RULES.push({ re: new RegExp(word(p), 'giu'), concept: c, normal: false });
  for (const p of c.zh) RULES.push({ re: new RegExp(p, 'gu'), concept: c, normal: false });
  for (const p of c.normalEn ?? []) RULES.push({ re: new RegExp(word(p), 'giu'), concept: c, normal: true });
  for (const p of c.normalZh ?? []) RULES.push({ re: new RegExp(p, 'gu'), concept: c, normal: true });
}
for (const p of NOT_FINDINGS_EN) RULES.push({ re: new RegExp(word(p), 'giu'), concept: null, normal: false });
for (const p of NOT_FINDINGS_ZH) RULES.push({ re: new RegExp(p, 'gu'), concept: null, normal: false });

/** Lexicon matches plus the ranges of known look-alikes that are not findings ("soft tissue edema"). */
export interface LexiconScan {
  mentions: ConceptMention[];
  blocked: Array<[number, number]>;
}

/**
 * Every concept mention in the text, and the ranges of look-alikes that are not findings (so other sources, the
 * model, can respect them too). Overlaps are resolved longest-first ("pleural effusion" over "effusion",
 * "subcutaneous emphysema" over "emphysema"); matches of exactly the same span from two concepts are merged.
 */
export function matchLexicon(text: string): LexiconScan {
  const raw: Array<{ start: number; end: number; rule: Rule }> = [];
  for (const rule of RULES) {
    for (const m of text.matchAll(rule.re)) {
      if (m[0].length === 0) continue;
      const start = m.index ?? 0;
      raw.push({ start, end: start + m[0].length, rule });
    }
  }
  // longest first; a "normal" statement beats a finding word inside it (heart size is normal ⊃ "heart size")
  raw.sort((a, b) => b.end - b.start - (a.end - a.start) || Number(b.rule.normal) - Number(a.rule.normal));
  const kept: ConceptMention[] = [];
  const blocked: Array<[number, number]> = [];
  // kept and blocked spans never overlap: one look at a match's own code units (and its exact span) replaces
  // scans over everything kept so far, which were quadratic in the number of matches
  const taken = new Occupancy(0, text.length);
  const bySpan = new Map<string, ConceptMention>();
  for (const r of raw) {
    const same = bySpan.get(`${r.start}:${r.end}`);
    if (same !== undefined && r.rule.concept !== null && same.statesNormal === r.rule.normal) {
      if (!same.concepts.includes(r.rule.concept)) same.concepts.push(r.rule.concept);
      continue;
    }
    if (taken.overlaps(r.start, r.end)) continue;
    taken.take(r.start, r.end);
    if (r.rule.concept === null) blocked.push([r.start, r.end]);
    else {
      const mention: ConceptMention = {
        start: r.start, end: r.end, text: text.slice(r.start, r.end), concepts: [r.rule.concept],
        statesNormal: r.rule.normal,
      };
      kept.push(mention);
      bySpan.set(`${r.start}:${r.end}`, mention);
    }
  }
  return { mentions: kept.sort((a, b) => a.start - b.start), blocked };
}

// Single words that name a concept, for the misspelling-tolerant match of model spans ("pnuemothorax").
const FUZZY: Array<[string, string]> = [
  ['pneumothorax', 'pneumothorax'], ['effusion', 'pleural-effusion'], ['atelectasis', 'atelectasis'],
  ['consolidation', 'consolidation'], ['pneumonia', 'pneumonia'], ['edema', 'edema'], ['oedema', 'edema'],
  ['cardiomegaly', 'cardiomegaly'], ['nodule', 'lung-nodule'], ['emphysema', 'emphysema'],
  ['fibrosis', 'fibrosis'], ['infiltrate', 'infiltration'], ['fracture', 'fracture'], ['opacity', 'lung-opacity'],
  ['opacities', 'lung-opacity'], ['hernia', 'hiatal-hernia'],
];
const BY_ID = new Map(CONCEPTS.map((c) => [c.id, c]));

/** Optimal string alignment distance (Levenshtein plus adjacent transposition), capped at limit + 1. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = v;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The concepts a free finding phrase names: by the lexicon first, then by a misspelling-tolerant match of its
 * words (distance 1 for words of 5–8 letters, 2 from 9 letters). Empty when the phrase names no known concept.
 */
export function normalizeFinding(phrase: string): Concept[] {
  const { mentions, blocked } = matchLexicon(phrase);
  const direct = mentions.filter((m) => !m.statesNormal);
  if (direct.length > 0) return direct.flatMap((m) => m.concepts);
  if (blocked.length > 0) return []; // "pericardial effusion": a known look-alike, not a misspelling
  for (const w of phrase.toLowerCase().split(/[^\p{L}]+/u)) {
    if (w.length < 5) continue;
    const limit = w.length >= 9 ? 2 : 1;
    for (const [term, id] of FUZZY) {
      if (editDistance(w, term, limit) <= limit) return [BY_ID.get(id) as Concept];
    }
  }
  return [];
}
