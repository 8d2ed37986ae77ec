// Report analysis: combines the NER model's spans with the lexicon and the ConText rules into coded findings
// (certainty, anatomy, laterality, size) and answers certainty questions about caller-given terms.
import { anatomyName, findAnatomy, type AnatomyMention } from './anatomy.js';
import { matchLexicon, normalizeFinding, type ConceptMention } from './concept-match.js';
import { findLateralityCues, lateralityOf } from './laterality.js';
import { findMeasurements, type Measurement } from './measurements.js';
import { certaintyOf, clauseBreaks, findCues, isChinese, type CertaintyDecision, type Cue } from './negation.js';
import type { NerModel } from './ner-model.js';
import { splitSentences, type Sentence } from './sentences.js';
import type { Certainty, Laterality, ModelEntity, ReportAnalysis, ReportFinding, TargetResult } from './types.js';

export interface AnalyzeOptions {
  /** The NER model (loadNerModel); without it only the lexicon and rules run. */
  ner?: NerModel | null;
  /** Terms whose ConText certainty the caller wants, whether or not they are findings. */
  targets?: readonly string[];
  /**
   * Also use the model's NEGATION/UNCERTAINTY spans as cues where no rule cue covers them. Off by default: on the
   * OpenI dev split the model, trained on synthetic sentences only, tags stray cues in real reports and costs
   * about 4 points of macro-F1 (bench/eval-nlp.ts prints the variant).
   */
  useModelCues?: boolean;
}

interface Mention extends ConceptMention {
  source: ReportFinding['source'];
}

interface SentenceContext {
  sentence: Sentence;
  cues: Cue[];
  breaks: number[];
  zh: boolean;
}

/** Analyses one report: coded findings, each with certainty, anatomy, laterality, size and span. */
export async function analyzeReport(text: string, options: AnalyzeOptions = {}): Promise<ReportAnalysis> {
  const sentences = splitSentences(text);
  const entities = options.ner ? await options.ner.tag(sentences.map((s) => s.text)) : [];
  // the lexicons run once over the whole text (7× faster than per sentence), then are shared out by sentence
  const lexicon = matchLexicon(text);
  const whole: Whole = {
    mentions: lexicon.mentions, blocked: lexicon.blocked, anatomy: findAnatomy(text),
    measurements: findMeasurements(text), cues: findCues(text),
  };
  const findings: ReportFinding[] = [];
  const contexts: SentenceContext[] = [];
  sentences.forEach((sentence, i) => {
    const ents = (entities[i] ?? []).map((e) => shift(e, sentence.start));
    const ctx = contextOf(sentence, whole.cues);
    contexts.push(ctx);
    findings.push(...analyzeSentence(ctx, whole, ents, options.useModelCues === true));
  });
  const out: ReportAnalysis = { findings };
  if (options.targets !== undefined) out.targets = options.targets.map((t) => targetCertainty(text, t, contexts));
  return out;
}

function shift(e: ModelEntity, by: number): ModelEntity {
  return { ...e, start: e.start + by, end: e.end + by };
}

/** Everything the lexicons found in the whole text, with whole-text offsets. */
interface Whole {
  mentions: ConceptMention[];
  /** Known look-alikes that are not findings ("soft tissue edema"): a model span inside one is not a finding either. */
  blocked: Array<[number, number]>;
  anatomy: AnatomyMention[];
  measurements: Measurement[];
  cues: Cue[];
}

const inside = <T extends { start: number; end: number }>(items: readonly T[], s: Sentence): T[] =>
  items.filter((x) => x.start >= s.start && x.end <= s.end);

function contextOf(sentence: Sentence, cues: readonly Cue[]): SentenceContext {
  return {
    sentence,
    cues: inside(cues, sentence),
    breaks: clauseBreaks(sentence.text, sentence.start),
    zh: isChinese(sentence.text),
  };
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean =>
  a.start < b.end && a.end > b.start;

function analyzeSentence(ctx: SentenceContext, whole: Whole, ents: ModelEntity[], useModelCues: boolean): ReportFinding[] {
  const { sentence } = ctx;
  const base = sentence.start;
  const mentions: Mention[] = inside(whole.mentions, sentence).map((m) => ({ ...m, concepts: [...m.concepts], source: 'rules' }));
  // the model's FINDING spans: confirm a lexicon match, or add a finding the lexicon missed (misspelt, new wording)
  for (const e of ents.filter((x) => x.type === 'FINDING')) {
    const hit = mentions.filter((m) => overlaps(m, e));
    if (hit.length > 0) {
      for (const m of hit) m.source = 'both';
      continue;
    }
    if (whole.blocked.some(([start, end]) => overlaps({ start, end }, e))) continue;
    const concepts = normalizeFinding(e.text);
    if (concepts.length > 0) {
      mentions.push({ start: e.start, end: e.end, text: e.text, concepts, statesNormal: false, source: 'model' });
    }
  }
  mentions.sort((a, b) => a.start - b.start);
  const cues = useModelCues ? withModelCues(ctx.cues, ents, mentions) : ctx.cues;
  const anatomy: AnatomyMention[] = inside(whole.anatomy, sentence);
  for (const e of ents.filter((x) => x.type === 'ANATOMY')) {
    if (!anatomy.some((a) => overlaps(a, e))) {
      anatomy.push({ start: e.start, end: e.end, text: e.text, name: anatomyName(e.text), laterality: lateralityOf(e.text) });
    }
  }
  const sizes = attachMeasurements(inside(whole.measurements, sentence), mentions, sentence.text, base);
  const out: ReportFinding[] = [];
  for (const m of mentions) {
    const decision: CertaintyDecision = m.statesNormal
      ? { certainty: 'absent', cue: null }
      : certaintyOf(m.start, m.end, cues, ctx.breaks, sentence);
    const cue = decision.cue === null ? null : sentence.text.slice(decision.cue.start - base, decision.cue.end - base);
    const site = siteOf(m, anatomy, mentions, ctx);
    for (const c of m.concepts) {
      out.push({
        concept: c.id, code: c.code, scheme: c.scheme, label: c.label, certainty: decision.certainty,
        anatomy: site?.name ?? null,
        laterality: lateralityFor(m, site, mentions, ctx),
        sizeMm: sizes.get(m) ?? null,
        span: [m.start, m.end], text: m.text, source: m.source, cue: m.statesNormal ? m.text : cue,
      });
    }
  }
  return out;
}

/** Adds model NEGATION/UNCERTAINTY spans that no rule cue overlaps: before a finding they act forward, else back. */
function withModelCues(cues: Cue[], ents: ModelEntity[], mentions: Mention[]): Cue[] {
  const extra: Cue[] = [];
  for (const e of ents) {
    if ((e.type !== 'NEGATION' && e.type !== 'UNCERTAINTY') || cues.some((c) => overlaps(c, e))) continue;
    if (mentions.some((m) => overlaps(m, e))) continue;
    const before = mentions.some((m) => m.start >= e.end);
    const kind = e.type === 'NEGATION' ? (before ? 'neg-pre' : 'neg-post') : before ? 'unc-pre' : 'unc-post';
    extra.push({ kind, start: e.start, end: e.end });
  }
  return extra.length === 0 ? cues : [...cues, ...extra].sort((a, b) => a.start - b.start);
}

const EN_SITE_LINK = /^[\s,]*(?:(?:is|are)\s+(?:seen\s+|noted\s+|present\s+)?)?(?:in|within|of|at|involving|over|along|overlying|projecting\s+over|near|adjacent\s+to|in\s+the\s+region\s+of)(?:\s+the)?\s*$/iu;

/** The anatomy a finding is at: an "in the X" phrase right after it, else the nearest one before it, else after. */
function siteOf(m: Mention, anatomy: AnatomyMention[], mentions: Mention[], ctx: SentenceContext): AnatomyMention | null {
  const [lo, hi] = clauseOf(m.start, ctx);
  const inClause = anatomy.filter((a) => !overlaps(a, m) && a.start >= lo && a.end <= hi);
  const text = ctx.sentence.text;
  const base = ctx.sentence.start;
  if (!ctx.zh) {
    const after = inClause.filter((a) => a.start >= m.end).sort((a, b) => a.start - b.start)[0];
    if (after && EN_SITE_LINK.test(text.slice(m.end - base, after.start - base))) return after;
  }
  // in English a site followed by another finding belongs to that one ("right lower lobe atelectasis and effusion");
  // a Chinese site heads all the findings of its clause (右肺下叶实变及磨玻璃影)
  const claimed = (a: AnatomyMention): boolean =>
    !ctx.zh && mentions.some((o) => o !== m && !o.statesNormal && o.start >= a.end && o.end <= m.start);
  const before = inClause.filter((a) => a.end <= m.start && !claimed(a)).sort((a, b) => b.end - a.end)[0];
  if (before) return before;
  return inClause.filter((a) => a.start >= m.end).sort((a, b) => a.start - b.start)[0] ?? null;
}

function clauseOf(at: number, ctx: SentenceContext): [number, number] {
  let lo = ctx.sentence.start;
  let hi = ctx.sentence.end;
  for (const b of ctx.breaks) {
    if (b < at && b >= lo) lo = b;
    if (b >= at && b < hi) hi = b;
  }
  return [lo, hi];
}

// findings that have no side: "left" near them describes something else
const UNSIDED = new Set(['cardiomegaly', 'enlarged-cardiomediastinum', 'hiatal-hernia', 'no-finding']);

/**
 * Side stated in the finding words, else a side word just before it in its clause, else the side of its anatomy.
 * Chinese reports name the site once at the head of a sentence and list findings in the clauses after it
 * (右肺中叶大片实变影，…，考虑大叶性肺炎), so there the last side word earlier in the sentence is used last.
 */
function lateralityFor(m: Mention, site: AnatomyMention | null, mentions: Mention[], ctx: SentenceContext): Laterality | null {
  if (m.concepts.every((c) => UNSIDED.has(c.id))) return null;
  const own = lateralityOf(m.text);
  if (own) return own;
  const [lo] = clauseOf(m.start, ctx);
  const window = ctx.zh ? 12 : 30;
  const from = Math.max(lo, m.start - window);
  const previous = mentions.filter((o) => o.end <= m.start && o.end > from).map((o) => o.end);
  const start = Math.max(from, ...previous);
  const base = ctx.sentence.start;
  const cues = findLateralityCues(ctx.sentence.text.slice(start - base, m.start - base));
  const last = cues[cues.length - 1];
  if (last) return last.laterality;
  if (site?.laterality) return site.laterality;
  if (!ctx.zh) return null;
  const earlier = findLateralityCues(ctx.sentence.text.slice(0, m.start - base));
  return earlier[earlier.length - 1]?.laterality ?? null;
}

/**
 * Gives each measurement to one finding: the finding right after it ("4 x 6 mm nodule"), else the nearest before
 * it in the sentence ("nodule … measuring 8 mm"), else the nearest after. A finding keeps its largest measurement.
 */
function attachMeasurements(ms: Measurement[], mentions: Mention[], text: string, base: number): Map<Mention, number> {
  const sizes = new Map<Mention, number>();
  const real = mentions.filter((m) => !m.statesNormal);
  for (const meas of ms) {
    const next = real.filter((m) => m.start >= meas.end).sort((a, b) => a.start - b.start)[0];
    const prev = real.filter((m) => m.end <= meas.start).sort((a, b) => b.end - a.end)[0];
    const gapToNext = next ? text.slice(meas.end - base, next.start - base) : '';
    const directlyBefore = next !== undefined && /^[\s\p{L}-]{0,24}$/u.test(gapToNext) && !/[，,;；。]/u.test(gapToNext);
    const owner = directlyBefore ? next : prev ?? next;
    if (owner) sizes.set(owner, Math.max(sizes.get(owner) ?? 0, meas.largestMm));
  }
  return sizes;
}

/** ConText certainty of a term: present if any occurrence is present, else uncertain if any is, else absent. */
function targetCertainty(text: string, term: string, contexts: SentenceContext[]): TargetResult {
  const trimmed = term.trim();
  if (trimmed === '') return { term, certainty: 'not-mentioned', span: null };
  const escaped = trimmed.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&').replace(/\s+/gu, '\\s+');
  const edgeStart = /^[\p{L}\p{N}]/u.test(trimmed) && !isChinese(trimmed[0] as string) ? '(?<![\\p{L}\\p{N}])' : '';
  const edgeEnd = /[\p{L}\p{N}]$/u.test(trimmed) && !isChinese(trimmed.slice(-1)) ? '(?![\\p{L}\\p{N}])' : '';
  const re = new RegExp(`${edgeStart}${escaped}${edgeEnd}`, 'giu');
  let best: TargetResult | null = null;
  const rank: Record<Certainty, number> = { present: 3, uncertain: 2, absent: 1 };
  for (const m of text.matchAll(re)) {
    const start = m.index ?? 0;
    const ctx = contexts.find((c) => start >= c.sentence.start && start < c.sentence.end);
    if (ctx === undefined) continue;
    const end = Math.min(start + m[0].length, ctx.sentence.end);
    const { certainty } = certaintyOf(start, end, ctx.cues, ctx.breaks, ctx.sentence);
    if (best === null || rank[certainty] > rank[best.certainty as Certainty]) best = { term, certainty, span: [start, end] };
  }
  return best ?? { term, certainty: 'not-mentioned', span: null };
}
