// Report analysis: combines the NER model's spans with the lexicon and the ConText rules into coded findings
// (certainty, anatomy, laterality, size) and answers certainty questions about caller-given terms.
import { anatomyName, findAnatomy, type AnatomyMention } from './anatomy.js';
import { matchLexicon, normalizeFinding, type ConceptMention } from './concept-match.js';
import { findLateralityCues, LastSideBefore, lateralityOf } from './laterality.js';
import { findMeasurements, type Measurement } from './measurements.js';
import { GatewayError } from '../errors.js';
import {
  certaintyOf, clauseBreaks, findCues, isChinese, scopeBreaks, sentenceScope,
  type CertaintyDecision, type Cue, type SentenceScope,
} from './negation.js';
import type { NerModel } from './ner-model.js';
import { splitSentences, type Sentence } from './sentences.js';
import { firstIndex, firstStartingAt, lastEndingBy, within } from './sorted.js';
import type { Certainty, Laterality, ModelEntity, ReportAnalysis, ReportFinding, TargetResult } from './types.js';

/**
 * Default cap on the characters analysed. Radiology reports are rarely over 20 KB (the longest of the 2,565 OpenI
 * reports is 1.4 KB, the benchmark's CT report 3 KB); 64 Ki leaves room for long oncology follow-ups and
 * addenda, and bounds the work: at the analyser's linear cost it is under a second with the model.
 */
export const DEFAULT_MAX_REPORT_CHARS = 65_536;
/** Default wall-clock budget per report; a 64 Ki-char report takes under a second here, so this is only hit by a fault. */
export const DEFAULT_TIME_BUDGET_MS = 10_000;
/** The analysis yields to the event loop after this much uninterrupted work, so intake stays responsive. */
const SLICE_MS = 20;

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
  /**
   * Characters analysed (default DEFAULT_MAX_REPORT_CHARS). A longer text is cut at the last whitespace at or
   * before the cap, the rest is not read, and the result's `truncated` says so.
   */
  maxChars?: number;
  /**
   * Wall-clock budget in ms (default DEFAULT_TIME_BUDGET_MS): past it the analysis rejects with GatewayError
   * GW_ERR_REPORT_OVER_BUDGET at its next slice boundary.
   */
  timeBudgetMs?: number;
  /** Clock in ms for the budget (tests inject one); default performance.now. */
  now?: () => number;
}

interface Mention extends ConceptMention {
  source: ReportFinding['source'];
}

interface SentenceContext {
  sentence: Sentence;
  scope: SentenceScope;
  breaks: number[];
  zh: boolean;
}

/** Checks the time budget between slices of work and yields to the event loop after SLICE_MS of it. */
class Budget {
  private readonly started: number;
  private sliceStart: number;

  constructor(private readonly budgetMs: number, private readonly now: () => number, private readonly chars: number) {
    this.started = now();
    this.sliceStart = this.started;
  }

  /** Throws GW_ERR_REPORT_OVER_BUDGET when over budget; otherwise yields once the current slice is long enough. */
  async checkpoint(stage: string): Promise<void> {
    const t = this.now();
    if (t - this.started > this.budgetMs) {
      throw new GatewayError(
        'GW_ERR_REPORT_OVER_BUDGET',
        `report analysis of ${this.chars} characters exceeded its ${this.budgetMs} ms budget (${stage}): the report ` +
          'is not analysed; raise nlp.timeBudgetMs or lower nlp.maxReportChars if such reports are expected',
        { context: { chars: this.chars, budgetMs: this.budgetMs, elapsedMs: Math.round(t - this.started), stage } },
      );
    }
    if (t - this.sliceStart >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.sliceStart = this.now();
    }
  }
}

/** The text analysed: all of it, or its start cut at the last whitespace at or before maxChars. */
function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  // a cut inside a word could read "no pneumothorax" as "no pneumo…"; a word longer than the cap is cut anyway
  for (let i = maxChars; i > 0; i--) if (/\s/u.test(text[i] as string)) return text.slice(0, i);
  return text.slice(0, maxChars);
}

/**
 * Analyses one report: coded findings, each with certainty, anatomy, laterality, size and span. Work grows
 * linearly with the text; the text is capped (maxChars) and the analysis runs in slices that yield to the event
 * loop and stop with GW_ERR_REPORT_OVER_BUDGET past timeBudgetMs.
 */
export async function analyzeReport(fullText: string, options: AnalyzeOptions = {}): Promise<ReportAnalysis> {
  const text = capText(fullText, options.maxChars ?? DEFAULT_MAX_REPORT_CHARS);
  const budget = new Budget(options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS, options.now ?? (() => performance.now()), text.length);
  await budget.checkpoint('start');
  const sentences = splitSentences(text);
  const entities = options.ner
    ? await options.ner.tag(sentences.map((s) => s.text), { beforeBatch: () => budget.checkpoint('NER model') })
    : [];
  await budget.checkpoint('lexicon');
  // the lexicons run once over the whole text (7× faster than per sentence), then are shared out by sentence
  const lexicon = matchLexicon(text);
  const whole: Whole = {
    mentions: lexicon.mentions, blocked: lexicon.blocked.map(([start, end]) => ({ start, end })).sort((a, b) => a.start - b.start), anatomy: findAnatomy(text),
    measurements: findMeasurements(text), cues: findCues(text),
  };
  const findings: ReportFinding[] = [];
  const contexts: SentenceContext[] = [];
  for (const [i, sentence] of sentences.entries()) {
    await budget.checkpoint('sentences');
    const ents = (entities[i] ?? []).map((e) => shift(e, sentence.start));
    const ctx = contextOf(sentence, whole.cues, whole.mentions);
    contexts.push(ctx);
    // a loop, not push(...spread): a sentence can hold more findings than the stack has room for arguments
    for (const f of analyzeSentence(ctx, whole, ents, options.useModelCues === true)) findings.push(f);
  }
  const out: ReportAnalysis = { findings };
  if (text.length < fullText.length) out.truncated = { analysedChars: text.length, totalChars: fullText.length };
  if (options.targets !== undefined) {
    out.targets = [];
    for (const t of options.targets) {
      await budget.checkpoint('targets');
      out.targets.push(targetCertainty(text, t, contexts));
    }
  }
  return out;
}

function shift(e: ModelEntity, by: number): ModelEntity {
  return { ...e, start: e.start + by, end: e.end + by };
}

/** Everything the lexicons found in the whole text, with whole-text offsets. */
interface Whole {
  mentions: ConceptMention[];
  /** Known look-alikes that are not findings ("soft tissue edema"): a model span inside one is not a finding either. */
  blocked: Array<{ start: number; end: number }>;
  anatomy: AnatomyMention[];
  measurements: Measurement[];
  cues: Cue[];
}

/** The items (sorted by start) that lie inside the sentence: a binary search, not a pass over the whole report. */
const inside = <T extends { start: number; end: number }>(items: readonly T[], s: Sentence): T[] =>
  within(items, s.start, s.end);

function contextOf(sentence: Sentence, cues: readonly Cue[], mentions: readonly ConceptMention[]): SentenceContext {
  const breaks = clauseBreaks(sentence.text, sentence.start);
  const zh = isChinese(sentence.text);
  const own = inside(cues, sentence);
  const scoped = scopeBreaks(sentence, breaks, own, zh, (start, end) => overlapsAny(mentions, start, end));
  return { sentence, scope: sentenceScope(sentence, own, scoped, zh), breaks, zh };
}

/** The sorted, non-overlapping spans that overlap [start, end). */
function overlapping<T extends { start: number; end: number }>(spans: readonly T[], start: number, end: number): T[] {
  const out: T[] = [];
  for (let i = firstIndex(spans, (x) => x.end > start); i < spans.length && (spans[i] as T).start < end; i++) {
    out.push(spans[i] as T);
  }
  return out;
}

/** True when [start, end) overlaps one of the sorted, non-overlapping spans. */
function overlapsAny(spans: readonly { start: number; end: number }[], start: number, end: number): boolean {
  const before = spans[firstIndex(spans, (x) => x.start >= end) - 1];
  return before !== undefined && before.end > start;
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean =>
  a.start < b.end && a.end > b.start;

function analyzeSentence(ctx: SentenceContext, whole: Whole, ents: ModelEntity[], useModelCues: boolean): ReportFinding[] {
  const { sentence } = ctx;
  const base = sentence.start;
  const mentions: Mention[] = inside(whole.mentions, sentence).map((m) => ({ ...m, concepts: [...m.concepts], source: 'rules' }));
  // lexicon mentions never overlap, and model spans never overlap each other, so a model span can only hit these
  const lexical = [...mentions];
  // the model's FINDING spans: confirm a lexicon match, or add a finding the lexicon missed (misspelt, new wording)
  for (const e of ents.filter((x) => x.type === 'FINDING')) {
    const hit = overlapping(lexical, e.start, e.end);
    if (hit.length > 0) {
      for (const m of hit) m.source = 'both';
      continue;
    }
    if (overlapsAny(whole.blocked, e.start, e.end)) continue;
    const concepts = normalizeFinding(e.text);
    if (concepts.length > 0) {
      mentions.push({ start: e.start, end: e.end, text: e.text, concepts, statesNormal: false, source: 'model' });
    }
  }
  mentions.sort((a, b) => a.start - b.start);
  const sentenceCues = inside(whole.cues, sentence);
  const scope = useModelCues
    ? sentenceScope(sentence, withModelCues(sentenceCues, ents, mentions), ctx.scope.breaks, ctx.zh)
    : ctx.scope;
  const lexAnatomy = inside(whole.anatomy, sentence);
  const anatomy: AnatomyMention[] = [...lexAnatomy];
  for (const e of ents.filter((x) => x.type === 'ANATOMY')) {
    // model spans never overlap each other, so only the lexicon's anatomy can overlap one
    if (!overlapsAny(lexAnatomy, e.start, e.end)) {
      anatomy.push({ start: e.start, end: e.end, text: e.text, name: anatomyName(e.text), laterality: lateralityOf(e.text) });
    }
  }
  // none overlap: sorted by start they are sorted by end too, which siteOf's binary searches need
  anatomy.sort((a, b) => a.start - b.start);
  const real = mentions.filter((m) => !m.statesNormal);
  const sizes = attachMeasurements(inside(whole.measurements, sentence), real, sentence.text, base);
  const sides = new LastSideBefore(sentence.text);
  const out: ReportFinding[] = [];
  for (const m of mentions) {
    const decision: CertaintyDecision = m.statesNormal
      ? { certainty: 'absent', cue: null }
      : certaintyOf(m.start, m.end, scope);
    const cue = decision.cue === null ? null : sentence.text.slice(decision.cue.start - base, decision.cue.end - base);
    const site = siteOf(m, anatomy, real, ctx);
    for (const c of m.concepts) {
      out.push({
        concept: c.id, code: c.code, scheme: c.scheme, label: c.label, certainty: decision.certainty,
        anatomy: site?.name ?? null,
        laterality: lateralityFor(m, site, mentions, ctx, sides),
        sizeMm: sizes.get(m) ?? null,
        span: [m.start, m.end], text: m.text, source: m.source, cue: m.statesNormal ? m.text : cue,
      });
    }
  }
  return out;
}

/** Adds model NEGATION/UNCERTAINTY spans that no rule cue overlaps: before a finding they act forward, else back. */
function withModelCues(cues: readonly Cue[], ents: ModelEntity[], mentions: Mention[]): readonly Cue[] {
  const extra: Cue[] = [];
  for (const e of ents) {
    if ((e.type !== 'NEGATION' && e.type !== 'UNCERTAINTY') || overlapsAny(cues, e.start, e.end)) continue;
    if (overlapsAny(mentions, e.start, e.end)) continue;
    const before = (mentions[mentions.length - 1]?.start ?? -1) >= e.end;
    const kind = e.type === 'NEGATION' ? (before ? 'neg-pre' : 'neg-post') : before ? 'unc-pre' : 'unc-post';
    extra.push({ kind, start: e.start, end: e.end });
  }
  return extra.length === 0 ? cues : [...cues, ...extra].sort((a, b) => a.start - b.start);
}

const EN_SITE_LINK = /^[\s,]*(?:(?:is|are)\s+(?:seen\s+|noted\s+|present\s+)?)?(?:in|within|of|at|involving|over|along|overlying|projecting\s+over|near|adjacent\s+to|in\s+the\s+region\s+of)(?:\s+the)?\s*$/iu;

/**
 * The anatomy a finding is at: an "in the X" phrase right after it, else the nearest one before it, else after.
 * `anatomy` and `real` (the mentions that do not state normality) are sorted by start and never overlap, so each
 * question is a binary search.
 */
function siteOf(m: Mention, anatomy: AnatomyMention[], real: Mention[], ctx: SentenceContext): AnatomyMention | null {
  const [lo, hi] = clauseOf(m.start, ctx);
  // the first anatomy after the finding, if it is still in the clause
  const next = firstStartingAt(anatomy, m.end);
  const after = next !== undefined && next.end <= hi ? next : undefined;
  const text = ctx.sentence.text;
  const base = ctx.sentence.start;
  if (!ctx.zh && after && EN_SITE_LINK.test(text.slice(m.end - base, after.start - base))) return after;
  // in English a site followed by another finding belongs to that one ("right lower lobe atelectasis and effusion");
  // a Chinese site heads all the findings of its clause (右肺下叶实变及磨玻璃影). A site is claimed when a finding
  // lies between it and this one; the nearest site before is then claimed whenever any earlier one is.
  const prev = lastEndingBy(anatomy, m.start);
  if (prev !== undefined && prev.start >= lo) {
    const claimedUpTo = ctx.zh ? -1 : (lastEndingBy(real, m.start)?.start ?? -1);
    if (claimedUpTo < prev.end) return prev;
  }
  return after ?? null;
}

function clauseOf(at: number, ctx: SentenceContext): [number, number] {
  const i = firstIndex(ctx.breaks, (b) => b >= at);
  const lo = i > 0 ? (ctx.breaks[i - 1] as number) : ctx.sentence.start;
  const hi = i < ctx.breaks.length ? Math.min(ctx.breaks[i] as number, ctx.sentence.end) : ctx.sentence.end;
  return [lo, hi];
}

// findings that have no side: "left" near them describes something else
const UNSIDED = new Set(['cardiomegaly', 'enlarged-cardiomediastinum', 'hiatal-hernia', 'no-finding']);

/**
 * Side stated in the finding words, else a side word just before it in its clause, else the side of its anatomy.
 * Chinese reports name the site once at the head of a sentence and list findings in the clauses after it
 * (右肺中叶大片实变影，…，考虑大叶性肺炎), so there the last side word earlier in the sentence is used last.
 */
function lateralityFor(
  m: Mention, site: AnatomyMention | null, mentions: Mention[], ctx: SentenceContext, sides: LastSideBefore,
): Laterality | null {
  if (m.concepts.every((c) => UNSIDED.has(c.id))) return null;
  const own = lateralityOf(m.text);
  if (own) return own;
  const [lo] = clauseOf(m.start, ctx);
  const window = ctx.zh ? 12 : 30;
  const from = Math.max(lo, m.start - window);
  // after the last finding that ends in the window (mentions are sorted and do not overlap)
  const start = Math.max(from, lastEndingBy(mentions, m.start)?.end ?? from);
  const base = ctx.sentence.start;
  const cues = findLateralityCues(ctx.sentence.text.slice(start - base, m.start - base));
  const last = cues[cues.length - 1];
  if (last) return last.laterality;
  if (site?.laterality) return site.laterality;
  if (!ctx.zh) return null;
  return sides.at(m.start - base);
}

/**
 * Gives each measurement to one finding: the finding right after it ("4 x 6 mm nodule"), else the nearest before
 * it in the sentence ("nodule … measuring 8 mm"), else the nearest after. A finding keeps its largest measurement.
 */
function attachMeasurements(ms: Measurement[], real: Mention[], text: string, base: number): Map<Mention, number> {
  const sizes = new Map<Mention, number>();
  for (const meas of ms) {
    // real: the mentions that do not state normality, sorted by start and not overlapping
    const next = firstStartingAt(real, meas.end);
    const prev = lastEndingBy(real, meas.start);
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
    // contexts are in text order: the last one starting at or before the match, if the match starts inside it
    const ctx = contexts[firstIndex(contexts, (c) => c.sentence.start > start) - 1];
    if (ctx === undefined || start >= ctx.sentence.end) continue;
    const end = Math.min(start + m[0].length, ctx.sentence.end);
    const { certainty } = certaintyOf(start, end, ctx.scope);
    if (best === null || rank[certainty] > rank[best.certainty as Certainty]) best = { term, certainty, span: [start, end] };
  }
  return best ?? { term, certainty: 'not-mentioned', span: null };
}
