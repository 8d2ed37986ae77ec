// Weak token labels for the report-NER training data (issue 13): the rules (lexicon, anatomy patterns, measurements,
// ConText cues) tag the sentences of the corpus's dev reports, so the model can see real report text and not only
// synthetic templates. Only dev items are read: every item of the frozen test split (its manifest, and the rule in
// frozen-split.ts) is left out, and so is every dev sentence that is also a sentence of a frozen-test item (OpenI has
// many identical reports), so no frozen-test text reaches the training data. The gold labels act as a filter: a dev
// item whose rule output disagrees with its gold is left out, since its weak labels are known to be wrong somewhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findAnatomy } from './anatomy.js';
import { matchLexicon } from './concept-match.js';
import {
  chexpertLabels, csvRecords, openiLabels, parseNegex, parseZhSet, OPENI_LABELS, type ChexpertValue,
} from './evaluation.js';
import { isFrozenTest, type FrozenManifest } from './frozen-split.js';
import { findMeasurements } from './measurements.js';
import { findCues } from './negation.js';
import { analyzeReport } from './report-analyzer.js';
import { splitSentences } from './sentences.js';
import { CHEXPERT_OBSERVATIONS } from './concepts.js';
import type { EntityType } from './types.js';

/** A tagged stretch of a sentence: [start, end) into its text. */
export type WeakSpan = readonly [number, number, EntityType];

/** One weakly labelled sentence and where it came from. */
export interface WeakRecord {
  source: 'openi' | 'negex' | 'chexpert';
  /** OpenI uid, NegEx line number or CheXpert row index, as a string. */
  id: string;
  text: string;
  spans: WeakSpan[];
  /** Look-alikes the lexicon knows are not findings ("mass effect"): to stay O, whatever other dictionaries say. */
  reserved: Array<readonly [number, number]>;
}

/** What was read, kept and left out, for the model card. */
export interface WeakLabelStats {
  items: Record<WeakRecord['source'], { dev: number; frozenSkipped: number; goldDisagrees: number; used: number }>;
  sentences: { seen: number; sharedWithFrozen: number; duplicates: number; kept: number };
}

/** The corpus files and the frozen-test manifest the labels are built from. */
export interface WeakLabelInputs {
  corpusDir: string;
  manifest: FrozenManifest;
  /** The Chinese set (test/fixtures/nlp/zh-labelled.tsv): never labelled, but its frozen sentences are keys too. */
  zhSetFile?: string;
}

/** The comparison key of a sentence: lower case, runs of whitespace as one space, trimmed. */
export function sentenceKey(text: string): string {
  return text.toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * The rules' tags for one sentence, without overlaps. Where spans overlap the first kind listed wins: measurements
 * ("4 x 6 mm"), then findings (a lexicon concept; "heart size is normal" states a normal and is not one), then
 * negation and uncertainty cues (pseudo-triggers and terminations are O), then anatomy ("pulmonary" in "pulmonary
 * edema" stays part of the finding).
 */
export function ruleSpans(text: string): { spans: WeakSpan[]; reserved: Array<readonly [number, number]> } {
  const lex = matchLexicon(text);
  const candidates: WeakSpan[] = [
    ...findMeasurements(text).map((m): WeakSpan => [m.start, m.end, 'MEASUREMENT']),
    ...lex.mentions.filter((m) => !m.statesNormal).map((m): WeakSpan => [m.start, m.end, 'FINDING']),
    ...findCues(text).flatMap((c): WeakSpan[] =>
      c.kind.startsWith('neg-') ? [[c.start, c.end, 'NEGATION']] : c.kind.startsWith('unc-') ? [[c.start, c.end, 'UNCERTAINTY']] : []),
    ...findAnatomy(text).map((a): WeakSpan => [a.start, a.end, 'ANATOMY']),
  ];
  const reserved = lex.blocked.map(([s, e]) => [s, e] as const);
  const kept: WeakSpan[] = [];
  const clash = (s: number, e: number): boolean =>
    kept.some(([ks, ke]) => s < ke && e > ks) || reserved.some(([rs, re]) => s < re && e > rs);
  for (const c of candidates) if (!clash(c[0], c[1])) kept.push(c);
  return { spans: kept.sort((a, b) => a[0] - b[0]), reserved };
}

interface CorpusItem {
  source: WeakRecord['source'];
  id: string;
  text: string;
  frozen: boolean;
  /** True when the rules' reading of the item agrees with its gold labels. */
  agrees: () => Promise<boolean>;
}

const sameSet = (a: Set<string>, b: Set<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

/** The OpenI report text the evaluation reads: findings and impression (eval-nlp.ts does the same). */
const openiText = (r: Record<string, string>): string =>
  [r.findings, r.impression].filter((t): t is string => t !== undefined && t.trim() !== '').join('\n\n');

/** Every item of the three English corpora, with whether it is frozen-test (manifest or rule) and a gold check. */
function corpusItems({ corpusDir, manifest }: WeakLabelInputs): CorpusItem[] {
  const reports = join(corpusDir, 'reports');
  const frozenOpeni = new Set(manifest.openi);
  const frozenNegex = new Set(manifest.negex);
  const labels = Object.keys(OPENI_LABELS);
  const gold = new Map(csvRecords(readFileSync(join(reports, 'openi/openi_gld_std14.csv'), 'utf8'))
    .map((g) => [(g.filename as string).replace(/^CXR/u, ''), new Set(labels.filter((l) => g[l] === '1'))]));
  const items: CorpusItem[] = [];
  for (const r of csvRecords(readFileSync(join(reports, 'openi/indiana_reports.csv'), 'utf8'))) {
    const uid = r.uid as string;
    const text = openiText(r);
    items.push({
      source: 'openi', id: uid, text, frozen: frozenOpeni.has(uid) || isFrozenTest('openi', uid),
      agrees: async () => {
        const g = gold.get(uid);
        return g !== undefined && sameSet(g, openiLabels((await analyzeReport(text)).findings));
      },
    });
  }
  for (const r of parseNegex(readFileSync(join(reports, 'negex/rsAnnotations-1-120-random.tsv'), 'utf8'))) {
    items.push({
      source: 'negex', id: String(r.line), text: r.sentence, frozen: frozenNegex.has(r.line) || isFrozenTest('negex', r.line),
      agrees: async () => ((await analyzeReport(r.sentence, { targets: [r.condition] })).targets?.[0]?.certainty === 'absent') === r.negated,
    });
  }
  for (const [k, r] of csvRecords(readFileSync(join(reports, 'chexpert-labeler/labeled_reports.csv'), 'utf8')).entries()) {
    const text = r.Reports as string;
    items.push({
      source: 'chexpert', id: String(k), text, frozen: false,
      agrees: async () => {
        const pred = chexpertLabels((await analyzeReport(text)).findings);
        return CHEXPERT_OBSERVATIONS.every((o) => {
          const g: ChexpertValue = r[o] === '' || r[o] === undefined ? null : (Math.round(Number(r[o])) as ChexpertValue);
          return g === pred[o];
        });
      },
    });
  }
  return items;
}

/**
 * The sentence keys of every frozen-test item: OpenI reports and NegEx rows (manifest or rule), and the Chinese
 * set's frozen sentences when its file is given; each item's whole text is a key as well as each of its sentences.
 * For comparison only: callers hash them or test membership, and nothing here prints a text.
 */
export function frozenSentenceKeys(inputs: WeakLabelInputs): Set<string> {
  const keys = new Set<string>();
  const zhFrozen = new Set(inputs.manifest.zh);
  const zh = inputs.zhSetFile === undefined ? []
    : parseZhSet(readFileSync(inputs.zhSetFile, 'utf8')).filter((r) => zhFrozen.has(r.id) || isFrozenTest('zh', r.id)).map((r) => r.text);
  const texts = [...corpusItems(inputs).filter((i) => i.frozen).map((i) => i.text), ...zh];
  for (const t of texts) {
    keys.add(sentenceKey(t));
    for (const s of splitSentences(t)) keys.add(sentenceKey(s.text));
  }
  return keys;
}

/** Weakly labelled sentences of the dev items, each distinct sentence once, none shared with a frozen-test item. */
export async function weakLabelRecords(inputs: WeakLabelInputs): Promise<{ records: WeakRecord[]; stats: WeakLabelStats }> {
  const items = corpusItems(inputs);
  const frozenKeys = frozenSentenceKeys(inputs);
  const zero = (): WeakLabelStats['items']['openi'] => ({ dev: 0, frozenSkipped: 0, goldDisagrees: 0, used: 0 });
  const stats: WeakLabelStats = {
    items: { openi: zero(), negex: zero(), chexpert: zero() },
    sentences: { seen: 0, sharedWithFrozen: 0, duplicates: 0, kept: 0 },
  };
  const seen = new Set<string>();
  const records: WeakRecord[] = [];
  for (const item of items) {
    const st = stats.items[item.source];
    if (item.frozen) {
      st.frozenSkipped++;
      continue;
    }
    st.dev++;
    if (!(await item.agrees())) {
      st.goldDisagrees++;
      continue;
    }
    st.used++;
    for (const s of splitSentences(item.text)) {
      stats.sentences.seen++;
      const key = sentenceKey(s.text);
      if (frozenKeys.has(key)) {
        stats.sentences.sharedWithFrozen++;
        continue;
      }
      if (seen.has(key)) {
        stats.sentences.duplicates++;
        continue;
      }
      seen.add(key);
      records.push({ source: item.source, id: item.id, text: s.text, ...ruleSpans(s.text) });
    }
  }
  stats.sentences.kept = records.length;
  return { records, stats };
}
