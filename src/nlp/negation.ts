// ConText-style certainty: finds trigger cues in a sentence and decides whether a mention is present, absent or
// uncertain from the nearest cue whose scope covers it.
import { EN_TRIGGERS, ZH_ELIDED_SUBJECT_LEAD, ZH_TRIGGERS, type CueKind, type TriggerList } from './clinical-rules.js';
import { firstIndex, lastEndingBy, firstStartingAt, Occupancy } from './sorted.js';
import type { Certainty } from './types.js';

/** A trigger found in a sentence; offsets are into the same string the mention offsets refer to. */
export interface Cue {
  kind: CueKind;
  start: number;
  end: number;
}

const HAN = /\p{Script=Han}/u;
/** English post-triggers look back at most this many words ("… pneumothorax is not seen"). */
const EN_POST_WINDOW_WORDS = 8;

function compile(list: TriggerList, words: boolean): Array<[RegExp, CueKind]> {
  return list.map(([p, kind]) => [
    new RegExp(words ? `(?<![\\p{L}\\p{N}])(?:${p})(?![\\p{L}\\p{N}])` : `(?:${p})`, 'giu'),
    kind,
  ]);
}
const EN_RULES = compile(EN_TRIGGERS, true);
const ZH_RULES = compile(ZH_TRIGGERS, false);

/** True when the text is (mostly) Chinese: it then uses the Chinese triggers and ，； as clause ends. */
export function isChinese(text: string): boolean {
  return HAN.test(text);
}

/**
 * All cues in a text (a sentence or a whole report); where two overlap the longer wins (so "cannot be excluded" is
 * not read as "not"). The Chinese triggers are all Han characters, so they only ever match in Chinese text.
 */
export function findCues(sentence: string, offset = 0): Cue[] {
  const rules = isChinese(sentence) ? [...ZH_RULES, ...EN_RULES] : EN_RULES;
  const all: Cue[] = [];
  for (const [re, kind] of rules) {
    for (const m of sentence.matchAll(re)) {
      if (m[0].length === 0) continue;
      const start = (m.index ?? 0) + offset;
      all.push({ kind, start, end: start + m[0].length });
    }
  }
  all.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Cue[] = [];
  const taken = new Occupancy(offset, sentence.length);
  for (const c of all) {
    if (taken.overlaps(c.start, c.end)) continue;
    kept.push(c);
    taken.take(c.start, c.end);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Clause boundaries inside a sentence: Chinese ，；： commas; in English semicolons and section headers ("CLINICAL
 * HISTORY:") but not commas, since English lists run across them ("no effusion, pneumothorax, or consolidation").
 */
export function clauseBreaks(sentence: string, offset = 0): number[] {
  const re = isChinese(sentence) ? /[，,；;：:]/gu : /;|(?<![\p{L}\p{N}])[A-Z][A-Z()/ ]{2,}:/gu;
  const out: number[] = [];
  for (const m of sentence.matchAll(re)) out.push((m.index ?? 0) + offset);
  return out;
}

/**
 * The clause breaks that bound a cue's scope. A Chinese clause that is only a post-trigger, after at most a few
 * adverbs of time or degree, reports what became of the previous clause's finding with its subject dropped
 * (前片所示左侧气胸，本次未再显示; 右下肺炎症，较前已吸收): the break before it does not end that finding's scope.
 * A clause with a subject of its own (转移瘤待排) or a finding keeps its break; English keeps every break.
 * Cues must be sorted by start (as findCues returns them): one pass over breaks and cues together.
 */
export function scopeBreaks(
  sentence: { start: number; end: number; text: string },
  breaks: readonly number[],
  cues: readonly Cue[],
  zh: boolean,
  namesFinding: (start: number, end: number) => boolean,
): number[] {
  if (!zh) return [...breaks];
  let c = 0;
  return breaks.filter((at, i) => {
    const next = breaks[i + 1] ?? sentence.end;
    while (c < cues.length && (cues[c] as Cue).start <= at) c++;
    let post: Cue | undefined;
    for (; c < cues.length && (cues[c] as Cue).start < next; c++) {
      const cue = cues[c] as Cue;
      if (post === undefined && cue.end <= next && (cue.kind === 'neg-post' || cue.kind === 'unc-post')) post = cue;
    }
    if (post === undefined || namesFinding(at, next)) return true;
    const lead = sentence.text.slice(at + 1 - sentence.start, post.start - sentence.start);
    return !ZH_ELIDED_SUBJECT_LEAD.test(lead);
  });
}

/** A certainty and the cue that decided it (null: no cue covers the mention, so it is present). */
export interface CertaintyDecision {
  certainty: Certainty;
  cue: Cue | null;
}

/**
 * One sentence's cues and clause breaks, indexed once so that each certainty question is a few binary searches
 * rather than a pass over every cue of the sentence (a long sentence with many findings and cues was quadratic).
 */
export interface SentenceScope {
  start: number;
  end: number;
  text: string;
  zh: boolean;
  /** Clause breaks, ascending. */
  breaks: readonly number[];
  /** Cues by kind, each list sorted by start; cues never overlap, so each list is sorted by end too. */
  byKind: ReadonlyMap<CueKind, readonly Cue[]>;
}

/** Indexes a sentence's cues (sorted by start, non-overlapping, as findCues returns them) and breaks. */
export function sentenceScope(
  sentence: { start: number; end: number; text: string },
  cues: readonly Cue[],
  breaks: readonly number[],
  zh = isChinese(sentence.text),
): SentenceScope {
  const byKind = new Map<CueKind, Cue[]>();
  for (const c of cues) {
    const list = byKind.get(c.kind);
    if (list === undefined) byKind.set(c.kind, [c]);
    else list.push(c);
  }
  return { start: sentence.start, end: sentence.end, text: sentence.text, zh, breaks, byKind };
}

const NEG_UNC: readonly CueKind[] = ['neg-pre', 'neg-post', 'neg-both', 'unc-pre', 'unc-post', 'unc-both'];
const HEDGES: readonly CueKind[] = ['unc-pre', 'unc-post'];
const NEG_PRE: readonly CueKind[] = ['neg-pre'];

interface Scoped {
  cue: Cue;
  distance: number;
}

/**
 * Certainty of the mention [start, end) in its sentence. The nearest covering cue decides; an uncertainty cue that
 * is itself inside a negation's scope counts as negated ("no findings to suggest pneumonia" → absent).
 */
export function certaintyOf(start: number, end: number, scope: SentenceScope): CertaintyDecision {
  // the mention's scope limits: the nearest clause break or stop cue on each side, else the sentence ends
  let lo = scope.start;
  let hi = scope.end;
  const b = firstIndex(scope.breaks, (x) => x >= start);
  if (b > 0) lo = scope.breaks[b - 1] as number;
  if (b < scope.breaks.length) hi = Math.min(hi, scope.breaks[b] as number);
  const stops = scope.byKind.get('stop') ?? [];
  const stopBefore = lastEndingBy(stops, start);
  if (stopBefore !== undefined && stopBefore.end > lo) lo = stopBefore.end;
  const stopAfter = firstStartingAt(stops, start);
  if (stopAfter !== undefined && stopAfter.start < hi) hi = stopAfter.start;
  // English post-triggers look back at most EN_POST_WINDOW_WORDS words: a post cue must start by this offset
  let postLimit: number | undefined;
  const postWindowEnd = (to: number): number => (postLimit ??= scope.zh ? Infinity : wordWindowEnd(scope, to));
  /** The nearest cue of these kinds covering [from, to); ties go to the earlier cue (the order cues are listed). */
  const nearest = (from: number, to: number, kinds: readonly CueKind[]): Scoped | undefined => {
    let best: Scoped | undefined;
    const consider = (cue: Cue, distance: number): void => {
      if (best === undefined || distance < best.distance || (distance === best.distance && cue.start < best.cue.start)) {
        best = { cue, distance };
      }
    };
    for (const kind of kinds) {
      const list = scope.byKind.get(kind);
      if (list === undefined) continue;
      if (kind.endsWith('-pre') || kind.endsWith('-both')) {
        const c = lastEndingBy(list, from);
        if (c !== undefined && c.end > lo) consider(c, from - c.end);
      }
      if (kind.endsWith('-post') || kind.endsWith('-both')) {
        const c = firstStartingAt(list, to);
        if (c !== undefined && c.start < hi && c.start <= postWindowEnd(to)) consider(c, c.start - to);
      }
    }
    return best;
  };
  const first = nearest(start, end, NEG_UNC);
  // "possible infiltrate versus atelectasis": a hedge word says more than the "versus" between alternatives
  const hedge = first?.cue.kind === 'unc-both' ? nearest(start, end, HEDGES) : undefined;
  const best = hedge ?? first;
  if (best === undefined) return { certainty: 'present', cue: null };
  if (best.cue.kind.startsWith('neg')) return { certainty: 'absent', cue: best.cue };
  // the hedge itself negated: "no … to suggest", "没有 … 可疑"
  const negation = best.cue.end <= start ? nearest(best.cue.start, best.cue.end, NEG_PRE) : undefined;
  return negation ? { certainty: 'absent', cue: negation.cue } : { certainty: 'uncertain', cue: best.cue };
}

/**
 * The largest cue start that leaves at most EN_POST_WINDOW_WORDS words between `from` and the cue: the start of the
 * next word after that many (words are runs of non-space). Scans only those words, never the rest of the sentence.
 */
function wordWindowEnd(scope: SentenceScope, from: number): number {
  const text = scope.text;
  let words = 0;
  let inWord = false;
  for (let i = from - scope.start; i < text.length; i++) {
    const space = WS.test(text[i] as string);
    if (!space && !inWord) {
      if (words === EN_POST_WINDOW_WORDS) return i + scope.start;
      words++;
    }
    inWord = !space;
  }
  return Infinity;
}
const WS = /\s/u;
